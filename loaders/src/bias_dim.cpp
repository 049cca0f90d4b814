// The bias dimension of exported factors, from reco-train's log (see bias_dim.hpp).
#include "reco_offline/bias_dim.hpp"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "reco_offline/text_input.hpp"

namespace reco_offline {

std::optional<std::string> bias_dim_from_train_log(const std::string& dir, std::string* why) {
  const std::filesystem::path path = std::filesystem::path(dir) / "train_log.json";
  if (!std::filesystem::exists(path)) return std::nullopt;
  std::ifstream in(path);
  nlohmann::json log;
  try {
    log = nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& e) {
    throw DataError(path.string() + ": not a JSON training log (" + e.what() + ")");
  }
  if (!log.is_object() || !log.contains("objective") || !log["objective"].is_string()) return std::nullopt;
  const std::string objective = log["objective"].get<std::string>();
  const auto say = [&](const std::string& s) {
    if (why) *why = path.filename().string() + ": " + s;
  };
  if (objective == "next-item") {
    say("objective next-item, items [q, b]");
    return "LAST";
  }
  if (objective == "logistic") {
    const double prior = log.contains("popularity_prior") && log["popularity_prior"].is_number()
                             ? log["popularity_prior"].get<double>()
                             : 0.0;
    if (prior > 0) {
      say("objective logistic with a popularity-prior dimension");
      return "LAST";
    }
    say("objective logistic, no bias dimension");
    return "NONE";
  }
  return std::nullopt;
}

bool valid_bias_dim_option(const std::string& value) {
  std::string v = value;
  std::transform(v.begin(), v.end(), v.begin(), [](unsigned char ch) { return std::toupper(ch); });
  if (v == "AUTO" || v == "LAST" || v == "NONE") return true;
  return !v.empty() && v.size() <= 9 && std::all_of(v.begin(), v.end(), [](unsigned char ch) { return std::isdigit(ch); });
}

}  // namespace reco_offline
