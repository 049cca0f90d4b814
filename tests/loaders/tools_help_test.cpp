// --help shows the defaults that run. reco-train's shared options (--dim,
// --epochs, --negatives, ...) have a default per objective; its help prints
// them as "next-item A, logistic B" (or one value when they agree, or one
// objective's when only it reads the option), and --show-config prints what a
// command line resolves to. An empty command line, and each objective alone,
// must resolve to exactly what the help says. No server needed.
#include <gtest/gtest.h>

#include <charconv>
#include <map>
#include <optional>
#include <nlohmann/json.hpp>
#include <sstream>
#include <vector>

#include "tool_run.hpp"

using reco_offline::test::run;
using reco_offline::test::tool;
using reco_offline::test::ToolRun;

namespace {

// Option long name -> the default its help line prints. CLI11 writes
// "  --name TYPE=DEFAULT" padded to 30 columns and the description after it, or,
// when that part is 30 columns or longer, the description on the next line
// (indented by 30 spaces).
std::map<std::string, std::string> help_defaults(const std::string& help) {
  constexpr size_t kColumn = 30;
  std::vector<std::string> lines;
  std::istringstream in(help);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  std::map<std::string, std::string> out;
  for (size_t i = 0; i < lines.size(); ++i) {
    const size_t dash = lines[i].find("--");
    if (lines[i].rfind("  -", 0) != 0 || dash == std::string::npos) continue;
    const bool described_below = i + 1 < lines.size() && lines[i + 1].rfind(std::string(kColumn, ' '), 0) == 0;
    std::string opt = described_below ? lines[i] : lines[i].substr(0, kColumn);
    while (!opt.empty() && opt.back() == ' ') opt.pop_back();
    const std::string name = opt.substr(dash, opt.find_first_of(" =", dash) - dash);
    const size_t eq = opt.find('=', dash);
    if (eq != std::string::npos) out[name] = opt.substr(eq + 1);
  }
  return out;
}

// The part of a printed default that applies to `objective`, or nullopt if none does.
std::optional<std::string> for_objective(const std::string& printed, const std::string& objective) {
  const std::string other = objective == "next-item" ? "logistic" : "next-item";
  const size_t comma = printed.find(", ");
  if (printed.rfind("next-item ", 0) == 0 && comma != std::string::npos) {
    const std::string a = printed.substr(10, comma - 10), rest = printed.substr(comma + 2);
    EXPECT_EQ(rest.rfind("logistic ", 0), 0u) << printed;
    return objective == "next-item" ? a : rest.substr(9);
  }
  if (printed.rfind(objective + " ", 0) == 0) return printed.substr(objective.size() + 1);
  if (printed.rfind(other + " ", 0) == 0) return std::nullopt;
  return printed;
}

// A float option holds a float: compare at float precision.
void expect_same(const std::string& printed, const nlohmann::json& value, const std::string& what) {
  if (value.is_string()) {
    EXPECT_EQ(printed, value.get<std::string>()) << what;
  } else if (value.is_number()) {
    double parsed = 0;
    const auto r = std::from_chars(printed.data(), printed.data() + printed.size(), parsed);
    ASSERT_TRUE(r.ec == std::errc() && r.ptr == printed.data() + printed.size()) << what << ": \"" << printed << "\"";
    EXPECT_EQ(static_cast<float>(parsed), value.get<float>()) << what << ": help " << printed << ", runs " << value;
  } else {
    ADD_FAILURE() << what << ": unexpected " << value;
  }
}

nlohmann::json show_config(const std::string& args) {
  const ToolRun r = run(tool("reco-train") + " --show-config" + args);
  EXPECT_EQ(r.status, 0) << r.output;
  return nlohmann::json::parse(r.output);
}

}  // namespace

TEST(ToolsHelp, RecoTrainHelpShowsWhatEachObjectiveRuns) {
  const ToolRun help = run(tool("reco-train") + " --help");
  ASSERT_EQ(help.status, 0) << help.output;
  const auto printed = help_defaults(help.output);
  ASSERT_TRUE(printed.count("--dim") && printed.count("--negatives")) << help.output;
  const nlohmann::json empty = show_config("");
  ASSERT_TRUE(printed.count("--objective"));
  EXPECT_EQ(empty["--objective"], printed.at("--objective"));
  const std::map<std::string, nlohmann::json> configs = {{"next-item", show_config(" --objective next-item")},
                                                         {"logistic", show_config(" --objective logistic")}};
  EXPECT_EQ(empty, configs.at("next-item")) << "an empty command line is not the default objective's";

  for (const auto& [objective, config] : configs) {
    // Every setting that runs has its default in the help (flags: off).
    for (const auto& [name, value] : config.items()) {
      if (name == "--objective") continue;  // the empty command line's, above
      if (value.is_boolean()) {
        EXPECT_FALSE(value.get<bool>()) << objective << " " << name;
        continue;
      }
      if (name == "--out") {  // "default: the prepared directory"
        EXPECT_EQ(value, config["--prepared"]);
        continue;
      }
      ASSERT_TRUE(printed.count(name)) << name << " prints no default:\n" << help.output;
      const auto part = for_objective(printed.at(name), objective);
      ASSERT_TRUE(part.has_value()) << objective << " reads " << name << " but its help names only the other";
      expect_same(*part, value, objective + " " + name);
    }
    // And every default the help prints for this objective is one it reads.
    for (const auto& [name, text] : printed) {
      if (name == "--objective") continue;
      if (for_objective(text, objective)) {
        EXPECT_TRUE(config.contains(name)) << objective << " does not read " << name;
      }
    }
  }
}

TEST(ToolsHelp, RecoTrainGivenOptionsOverrideOnlyTheirObjective) {
  const nlohmann::json next = show_config(" --dim 8 --negatives 0");
  EXPECT_EQ(next["--dim"], 8);
  EXPECT_EQ(next["--negatives"], 1);  // next-item trains against at least one candidate
  const nlohmann::json defaults = show_config("");
  EXPECT_EQ(next["--epochs"], defaults["--epochs"]);
  const nlohmann::json logistic = show_config(" --objective logistic --dim 8 --negatives 0");
  EXPECT_EQ(logistic["--dim"], 8);
  EXPECT_EQ(logistic["--negatives"], 0);
  // An option only the other objective reads is refused, not ignored.
  EXPECT_EQ(run(tool("reco-train") + " --show-config --popularity-prior auto").status, 2);
  EXPECT_EQ(run(tool("reco-train") + " --show-config --objective logistic --rating-weight 1").status, 2);
}
