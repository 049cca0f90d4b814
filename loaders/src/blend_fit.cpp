// Offline blend fitting through the engine's recommend() (see blend_fit.hpp).
#include "reco_offline/blend_fit.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>

#include "reco/catalog.hpp"
#include "reco/fingerprint.hpp"
#include "reco/recommender.hpp"
#include "reco_offline/text_input.hpp"

namespace reco_offline {

struct BlendBench::State {
  std::unique_ptr<reco::Catalog> catalog;
  struct Case {
    reco::UserProfile profile;
    std::unordered_set<std::string> relevant;
  };
  std::vector<Case> cases;
};

BlendBench::BlendBench(const std::vector<ItemRecord>& items, const FactorTable& item_vectors,
                       const FactorTable& user_vectors, const std::vector<Rating>& train,
                       const std::vector<Rating>& test, const std::vector<std::vector<WeightedTerm>>& test_terms,
                       size_t per_user, size_t max_users)
    : state_(new State) {
  const auto dim = static_cast<size_t>(item_vectors.vectors.cols());
  if (dim == 0) throw DataError("blend fit: item vectors have no columns");
  if (user_vectors.vectors.cols() != item_vectors.vectors.cols())
    throw DataError("blend fit: user and item vectors differ in dimension");
  if (test_terms.size() != test.size()) throw DataError("blend fit: test rows and test terms differ in number");
  state_->catalog = std::make_unique<reco::Catalog>("fit", dim, reco::Metric::InnerProduct);
  reco::Catalog& cat = *state_->catalog;

  // Popularity and time as of the training part: what the catalog looked like then.
  std::unordered_map<std::string, std::pair<double, int64_t>> stats;
  for (const auto& r : train) {
    auto& s = stats[std::to_string(r.item)];
    s.first += 1;
    s.second = std::max(s.second, r.time);
  }
  std::unordered_map<std::string, size_t> vec_row;
  for (size_t r = 0; r < item_vectors.ids.size(); ++r) vec_row.emplace(item_vectors.ids[r], r);
  for (const auto& it : items) {
    reco::ItemUpdate up;
    up.terms = it.terms;
    const auto s = stats.find(it.id);
    up.popularity = s == stats.end() ? 0.0 : s->second.first;
    up.time = s == stats.end() ? 0 : s->second.second;
    const auto v = vec_row.find(it.id);
    if (v != vec_row.end()) {
      const auto row = item_vectors.vectors.row(static_cast<Eigen::Index>(v->second));
      up.vector = std::vector<float>(row.data(), row.data() + dim);
    }
    cat.upsert(it.id, up);
  }

  std::unordered_map<std::string, size_t> user_row;
  for (size_t r = 0; r < user_vectors.ids.size(); ++r) user_row.emplace(user_vectors.ids[r], r);
  std::map<Id, std::vector<std::string>> seen;
  for (const auto& r : train) seen[r.user].push_back(std::to_string(r.item));
  // Test rows are sorted by (user, time) as the split wrote them: the first rows of a user come next.
  size_t k = 0;
  while (k < test.size()) {
    const Id uid = test[k].user;
    size_t end = k;
    while (end < test.size() && test[end].user == uid) ++end;
    const auto row = user_row.find(std::to_string(uid));
    if (row != user_row.end()) {
      State::Case c;
      const auto v = user_vectors.vectors.row(static_cast<Eigen::Index>(row->second));
      c.profile.vector.assign(v.data(), v.data() + dim);
      for (const auto& [term, w] : test_terms[k])
        if (w > 0) c.profile.terms.push_back(reco::WeightedTerm{reco::String(term), w});
      std::vector<std::uint64_t> fps;
      for (const auto& id : seen[uid]) fps.push_back(reco::fingerprint(id));
      c.profile.seen.assign(fps);
      for (size_t j = k; j < end && c.relevant.size() < per_user; ++j) c.relevant.insert(std::to_string(test[j].item));
      state_->cases.push_back(std::move(c));
      if (max_users && state_->cases.size() >= max_users) break;
    }
    k = end;
  }
}

BlendBench::~BlendBench() { delete state_; }

size_t BlendBench::users() const { return state_->cases.size(); }

RankingMetrics BlendBench::evaluate(const reco::BlendConfig& config, size_t k) const {
  RankingAccumulator acc(k);
  reco::RecommendRequest req;
  req.k = k;
  req.use_blend(config);
  std::vector<std::string> ids;
  for (const auto& c : state_->cases) {
    const reco::RecommendResult r = reco::recommend(*state_->catalog, &c.profile, req);
    ids.clear();
    for (const auto& rec : r.items) ids.emplace_back(state_->catalog->item(rec.id).id);
    acc.add(ids, c.relevant);
  }
  return acc.result();
}

BlendFit fit_blend(const BlendBench& bench, const reco::BlendConfig& base, size_t k, bool with_prior) {
  BlendFit fit;
  const auto consider = [&](const reco::BlendConfig& c) {
    const RankingMetrics m = bench.evaluate(c, k);
    fit.tried.push_back({c, m});
    if (fit.tried.size() == 1 || m.ndcg > fit.best_metrics.ndcg) {
      fit.best = c;
      fit.best_metrics = m;
    }
  };
  for (double wt : {0.0, 0.1, 0.25}) {
    for (double wp : {0.0, 0.1, 0.25, 0.5}) {
      reco::BlendConfig c = base;
      c.source(reco::Source::Vector).weight = 1.0;
      c.source(reco::Source::Term).weight = wt;
      c.source(reco::Source::Popular).weight = wp;
      consider(c);
    }
  }
  if (with_prior) {
    const reco::BlendConfig start = fit.best;
    for (double pw : {0.1, 0.25, 0.5}) {
      for (double half : {0.0, 30.0, 180.0}) {
        reco::BlendConfig c = start;
        c.popularity = pw;
        c.recency_halflife_days = half;
        consider(c);
      }
    }
  }
  return fit;
}

void write_blend_json(const std::string& path, const reco::BlendConfig& config, const std::string& extra_json) {
  nlohmann::ordered_json params = nlohmann::ordered_json::object();
  for (const auto& [name, value] : reco::blend_params(config)) params[name] = value;
  nlohmann::ordered_json out = nlohmann::ordered_json::object();
  out["params"] = params;
  const auto extra = nlohmann::ordered_json::parse(extra_json);
  for (auto it = extra.begin(); it != extra.end(); ++it) out[it.key()] = it.value();
  std::ofstream f(path);
  if (!f) throw DataError(path + ": cannot write");
  f << out.dump(2) << "\n";
}

reco::BlendConfig read_blend_json(const std::string& path) {
  std::ifstream f(path);
  if (!f) throw DataError(path + ": cannot read");
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(f);
  } catch (const std::exception& e) {
    throw DataError(path + ": not JSON (" + e.what() + ")");
  }
  if (!j.is_object() || !j.contains("params") || !j["params"].is_object())
    throw DataError(path + ": expected an object with a \"params\" object");
  reco::BlendConfig config;
  for (auto it = j["params"].begin(); it != j["params"].end(); ++it) {
    if (!it.value().is_number()) throw DataError(path + ": parameter " + it.key() + " is not a number");
    std::string why;
    if (!reco::set_blend_param(config, it.key(), it.value().get<double>(), &why)) throw DataError(path + ": " + why);
  }
  return config;
}

std::vector<std::string> blend_request_args(const reco::BlendConfig& config, std::vector<std::string>* unexpressed) {
  std::vector<std::string> args;
  const auto num = [](double v) {
    std::string s = std::to_string(v);
    while (s.size() > 1 && s.back() == '0') s.pop_back();
    if (s.back() == '.') s.pop_back();
    return s;
  };
  for (std::size_t i = 0; i < reco::kSourceCount; ++i) {
    const auto s = static_cast<reco::Source>(i);
    std::string name(reco::source_name(s));
    for (auto& ch : name) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    const reco::SourceConfig& sc = config.source(s);
    if (sc.budget != reco::kBudgetFollowsK) {
      args.insert(args.end(), {"BUDGET", name, std::to_string(sc.budget)});
    }
    args.insert(args.end(), {"WEIGHT", name, num(sc.weight)});
  }
  if (unexpressed) {
    unexpressed->clear();
    if (config.popularity > 0) unexpressed->push_back("POPULARITY");
    if (config.recency_halflife_days > 0) unexpressed->push_back("RECENCY.HALFLIFE");
  }
  return args;
}

}  // namespace reco_offline
