// JSON parsing for model files (safetensors headers and the reco schema), engine-internal.
//
// nlohmann::json keeps the last of two equal keys silently; in a model file a duplicated key
// means the writer is broken or the file was edited by hand, and which value wins would be
// a guess. So the parse tracks the keys of every open object and refuses repeats.
#pragma once

#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "reco/error.hpp"

namespace reco::model_json {

// Throws reco::Error("<what>: ...") on a syntax error or a duplicate key.
inline nlohmann::json parse_strict(std::string_view text, const std::string& what) {
  struct Duplicate {
    std::string key;
  };
  std::vector<std::set<std::string>> open;
  auto check = [&open](int, nlohmann::json::parse_event_t ev, nlohmann::json& parsed) {
    using E = nlohmann::json::parse_event_t;
    if (ev == E::object_start) {
      open.emplace_back();
    } else if (ev == E::object_end) {
      if (!open.empty()) open.pop_back();
    } else if (ev == E::key && !open.empty()) {
      const std::string& k = parsed.get_ref<const std::string&>();
      if (!open.back().insert(k).second) throw Duplicate{k};
    }
    return true;
  };
  try {
    return nlohmann::json::parse(text.begin(), text.end(), check);
  } catch (const Duplicate& d) {
    throw Error(what + ": duplicate key \"" + d.key + "\"");
  } catch (const nlohmann::json::exception& e) {
    std::string m = e.what();
    // nlohmann prefixes "[json.exception.parse_error.101] "; the rest is the useful part.
    if (auto p = m.find("] "); p != std::string::npos) m = m.substr(p + 2);
    throw Error(what + ": invalid JSON: " + m);
  }
}

}  // namespace reco::model_json
