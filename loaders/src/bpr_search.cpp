// Grid search over the next-item trainer's settings (see bpr_search.hpp).
#include "reco_offline/bpr_search.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <sstream>
#include <stdexcept>
#include <unordered_map>
#include <unordered_set>

#include "reco_offline/ranking_metrics.hpp"

namespace reco_offline {

namespace {

struct AxisRule {
  double lo, hi;
  bool integer;
};

const std::map<std::string, AxisRule>& rules() {
  static const std::map<std::string, AxisRule> r = {
      {"dim", {1, 4096, true}},    {"negatives", {1, 100, true}}, {"epochs", {1, 10000, true}},
      {"lr", {1e-6, 10, false}},   {"reg", {0, 10, false}},       {"bias-reg", {0, 10, false}}};
  return r;
}

constexpr size_t kMaxTrials = 64;

BprConfig with(const BprConfig& base, const std::vector<std::pair<std::string, double>>& point) {
  BprConfig c = base;
  for (const auto& [name, v] : point) {
    if (name == "dim") c.dim = static_cast<int>(v);
    else if (name == "negatives") c.negatives = static_cast<int>(v);
    else if (name == "epochs") c.epochs = static_cast<int>(v);
    else if (name == "lr") c.learning_rate = static_cast<float>(v);
    else if (name == "reg") c.regularization = static_cast<float>(v);
    else if (name == "bias-reg") c.bias_regularization = static_cast<float>(v);
  }
  return c;
}

}  // namespace

std::vector<SearchAxis> parse_search(const std::string& spec) {
  std::string text = spec;
  std::replace(text.begin(), text.end(), ';', ' ');
  std::istringstream in(text);
  std::vector<SearchAxis> axes;
  size_t combinations = 1;
  for (std::string part; in >> part;) {
    const auto eq = part.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == part.size())
      throw std::invalid_argument("--search: '" + part + "' is not name=v1,v2,...");
    SearchAxis a{part.substr(0, eq), {}};
    const auto rule = rules().find(a.name);
    if (rule == rules().end())
      throw std::invalid_argument("--search: unknown setting '" + a.name +
                                  "' (dim, negatives, epochs, lr, reg, bias-reg)");
    for (const auto& b : axes)
      if (b.name == a.name) throw std::invalid_argument("--search: '" + a.name + "' given twice");
    std::istringstream values(part.substr(eq + 1));
    for (std::string v; std::getline(values, v, ',');) {
      size_t used = 0;
      double x = 0;
      try {
        x = std::stod(v, &used);
      } catch (const std::exception&) {
        used = 0;
      }
      if (v.empty() || used != v.size() || !std::isfinite(x) || x < rule->second.lo || x > rule->second.hi ||
          (rule->second.integer && x != std::floor(x)))
        throw std::invalid_argument("--search: " + a.name + " value '" + v + "' is not " +
                                    (rule->second.integer ? "an integer" : "a number") + " in " +
                                    std::to_string(rule->second.lo) + ".." + std::to_string(rule->second.hi));
      a.values.push_back(x);
    }
    if (a.values.empty()) throw std::invalid_argument("--search: '" + a.name + "' has no values");
    combinations *= a.values.size();
    if (combinations > kMaxTrials)
      throw std::invalid_argument("--search: more than " + std::to_string(kMaxTrials) + " combinations");
    axes.push_back(std::move(a));
  }
  if (axes.empty()) throw std::invalid_argument("--search: no settings given");
  return axes;
}

double next_item_ndcg(const BprModel& model, const std::vector<Rating>& train, const std::vector<Rating>& test,
                      size_t k, size_t max_users, size_t* users_out) {
  std::unordered_map<Id, size_t> user_row, item_row;
  for (size_t r = 0; r < model.user_ids.size(); ++r) user_row[model.user_ids[r]] = r;
  for (size_t r = 0; r < model.item_ids.size(); ++r) item_row[model.item_ids[r]] = r;
  std::map<Id, std::unordered_set<std::string>> relevant;  // ascending user id
  for (const Rating& r : test) relevant[r.user].insert(std::to_string(r.item));
  std::unordered_map<Id, std::unordered_set<size_t>> seen;
  for (const Rating& r : train) {
    auto it = item_row.find(r.item);
    if (it != item_row.end()) seen[r.user].insert(it->second);
  }
  RankingAccumulator acc(k);
  const size_t n_items = model.item_ids.size(), dim = static_cast<size_t>(model.items.cols());
  std::vector<std::pair<float, size_t>> scored;
  size_t done = 0;
  for (const auto& [user, items] : relevant) {
    if (max_users && done >= max_users) break;
    ++done;
    auto u = user_row.find(user);
    std::vector<std::string> ranked;
    if (u != user_row.end()) {
      const float* p = model.users.row(static_cast<Eigen::Index>(u->second)).data();
      const auto& skip = seen[user];
      scored.clear();
      for (size_t i = 0; i < n_items; ++i) {
        if (skip.count(i)) continue;
        const float* q = model.items.row(static_cast<Eigen::Index>(i)).data();
        float s = model.item_bias.empty() ? 0.0f : model.item_bias[i];
        for (size_t d = 0; d < dim; ++d) s += p[d] * q[d];
        scored.emplace_back(-s, i);  // ascending: best first, ties by row
      }
      const size_t top = std::min(k, scored.size());
      std::partial_sort(scored.begin(), scored.begin() + static_cast<std::ptrdiff_t>(top), scored.end());
      for (size_t j = 0; j < top; ++j) ranked.push_back(std::to_string(model.item_ids[scored[j].second]));
    }
    acc.add(ranked, items);
  }
  const RankingMetrics m = acc.result();
  if (users_out) *users_out = m.users;
  return m.ndcg;
}

std::vector<SearchTrial> search_bpr(const std::vector<Rating>& train, const std::vector<Rating>& test,
                                    const BprConfig& base, const std::vector<SearchAxis>& axes, size_t k,
                                    size_t max_users, const std::function<void(const SearchTrial&)>& on_trial) {
  size_t total = 1;
  for (const auto& a : axes) total *= a.values.size();
  std::vector<SearchTrial> trials;
  for (size_t t = 0; t < total; ++t) {
    SearchTrial trial;
    size_t rest = t;
    trial.point.resize(axes.size());
    for (size_t a = axes.size(); a-- > 0;) {
      trial.point[a] = {axes[a].name, axes[a].values[rest % axes[a].values.size()]};
      rest /= axes[a].values.size();
    }
    trial.config = with(base, trial.point);
    const BprModel model = train_bpr(train, trial.config);
    trial.ndcg = next_item_ndcg(model, train, test, k, max_users, &trial.users);
    if (on_trial) on_trial(trial);
    trials.push_back(std::move(trial));
  }
  return trials;
}

size_t best_trial(const std::vector<SearchTrial>& trials) {
  size_t best = 0;
  for (size_t t = 1; t < trials.size(); ++t)
    if (trials[t].ndcg > trials[best].ndcg) best = t;
  return best;
}

}  // namespace reco_offline
