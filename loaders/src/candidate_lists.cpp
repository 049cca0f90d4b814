// Offline recall of RECO.RECOMMEND's candidates (see candidate_lists.hpp).
#include "reco_offline/candidate_lists.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <memory>
#include <unordered_map>
#include <unordered_set>

#include "reco/catalog.hpp"
#include "reco/fingerprint.hpp"
#include "reco/recommender.hpp"
#include "reco_offline/text_input.hpp"

namespace reco_offline {

namespace fs = std::filesystem;

namespace {

std::string in_dir(const std::string& dir, const char* name) { return (fs::path(dir) / name).string(); }

// Rows of one user are contiguous and in time order in the split's files.
std::map<Id, std::vector<size_t>> rows_by_user(const std::vector<Rating>& rows) {
  std::map<Id, std::vector<size_t>> out;
  for (size_t r = 0; r < rows.size(); ++r) out[rows[r].user].push_back(r);
  return out;
}

}  // namespace

CandidateWorld world_at_test_start(const std::string& dir, size_t per_user) {
  CandidateWorld w;
  w.items = read_items(in_dir(dir, "items.tsv"));
  for (size_t i = 0; i < w.items.size(); ++i) w.item_pos.emplace(w.items[i].id, i);
  const std::vector<UserRecord> users = read_users(in_dir(dir, "users.tsv"));
  const std::vector<Rating> train = read_rating_rows(in_dir(dir, "train.tsv"));
  std::vector<std::vector<WeightedTerm>> test_terms;
  const std::vector<Rating> test = read_rating_rows(in_dir(dir, "test.tsv"), &test_terms);

  std::unordered_map<std::string, std::pair<double, int64_t>> stats;  // as of the training part
  for (const Rating& r : train) {
    auto& s = stats[std::to_string(r.item)];
    s.first += 1;
    s.second = std::max(s.second, r.time);
  }
  for (ItemRecord& it : w.items) {
    const auto s = stats.find(it.id);
    it.popularity = s == stats.end() ? 0.0 : s->second.first;
    it.time = s == stats.end() ? 0 : s->second.second;
  }
  const auto train_rows = rows_by_user(train);
  const auto test_rows = rows_by_user(test);
  for (const UserRecord& u : users) {
    int64_t uid = 0;
    if (!parse_int(u.id, uid)) continue;
    const auto t = test_rows.find(static_cast<Id>(uid));
    if (t == test_rows.end()) continue;  // nothing came next
    CandidateUser c;
    c.record.id = u.id;
    c.record.features = u.features;
    c.record.terms = test_terms[t->second.front()];
    if (const auto tr = train_rows.find(static_cast<Id>(uid)); tr != train_rows.end())
      for (size_t r : tr->second) c.record.seen.push_back(std::to_string(train[r].item));
    for (size_t r : t->second) {
      if (c.relevant.size() >= per_user) break;
      c.relevant.push_back(std::to_string(test[r].item));
    }
    w.users.push_back(std::move(c));
  }
  return w;
}

CandidateWorld world_as_served(const std::string& dir) {
  CandidateWorld w;
  w.items = read_items(in_dir(dir, "items.tsv"));
  for (size_t i = 0; i < w.items.size(); ++i) w.item_pos.emplace(w.items[i].id, i);
  const std::vector<Rating> holdout = read_rating_rows(in_dir(dir, "holdout.tsv"));
  const auto held = rows_by_user(holdout);
  for (UserRecord& u : read_users(in_dir(dir, "users.tsv"))) {
    CandidateUser c;
    int64_t uid = 0;
    if (parse_int(u.id, uid))
      if (const auto h = held.find(static_cast<Id>(uid)); h != held.end())
        for (size_t r : h->second) c.relevant.push_back(std::to_string(holdout[r].item));
    c.record = std::move(u);
    w.users.push_back(std::move(c));
  }
  return w;
}

std::vector<CandidateList> recall_candidates(const CandidateWorld& world, const FactorTable& item_vectors,
                                             const FactorTable& user_vectors, const reco::BlendConfig& blend,
                                             size_t serve_k) {
  const auto dim = static_cast<size_t>(item_vectors.vectors.cols());
  if (dim == 0) throw DataError("candidates: item vectors have no columns");
  if (user_vectors.vectors.cols() != item_vectors.vectors.cols())
    throw DataError("candidates: user and item vectors differ in dimension");
  reco::Catalog cat("candidates", dim, reco::Metric::InnerProduct);
  std::unordered_map<std::string, size_t> vec_row;
  for (size_t r = 0; r < item_vectors.ids.size(); ++r) vec_row.emplace(item_vectors.ids[r], r);
  for (const ItemRecord& it : world.items) {  // in file order, as reco-load sends them
    reco::ItemUpdate up;
    up.terms = it.terms;
    up.popularity = it.popularity;
    up.time = it.time;
    if (const auto v = vec_row.find(it.id); v != vec_row.end()) {
      const auto row = item_vectors.vectors.row(static_cast<Eigen::Index>(v->second));
      up.vector = std::vector<float>(row.data(), row.data() + dim);
    }
    cat.upsert(it.id, up);
  }
  std::unordered_map<std::string, size_t> user_row;
  for (size_t r = 0; r < user_vectors.ids.size(); ++r) user_row.emplace(user_vectors.ids[r], r);

  reco::RecommendRequest req;
  req.k = serve_k;
  req.use_blend(blend);  // the popular budget follows the served K
  req.k = reco::kMaxK;   // then every candidate comes back
  req.with_signals = true;
  std::vector<CandidateList> out;
  for (size_t u = 0; u < world.users.size(); ++u) {
    const CandidateUser& cu = world.users[u];
    reco::UserProfile profile;
    if (const auto r = user_row.find(cu.record.id); r != user_row.end()) {
      const auto v = user_vectors.vectors.row(static_cast<Eigen::Index>(r->second));
      profile.vector.assign(v.data(), v.data() + dim);
    }
    for (const auto& [term, weight] : cu.record.terms)
      profile.terms.push_back(reco::WeightedTerm{reco::String(term), weight});
    std::vector<std::uint64_t> fps;
    for (const std::string& id : cu.record.seen) fps.push_back(reco::fingerprint(id));
    profile.seen.assign(fps);
    const reco::RecommendResult res = reco::recommend(cat, &profile, req);
    if (res.items.empty()) continue;
    CandidateList list;
    list.user = u;
    const std::unordered_set<std::string> relevant(cu.relevant.begin(), cu.relevant.end());
    list.relevant = relevant.size();
    for (size_t i = 0; i < res.items.size(); ++i) {
      list.items.emplace_back(reco::view(cat.item(res.items[i].id).id));
      list.signals.push_back(res.signals[i]);
      list.label.push_back(relevant.count(list.items.back()) ? 1 : 0);
    }
    out.push_back(std::move(list));
  }
  return out;
}

std::vector<NameValue> candidate_values_text(const reco::CandidateSignals& s) {
  std::vector<NameValue> out;
  for (size_t v = 0; v < reco::kCandidateValueCount; ++v) {
    const auto which = static_cast<reco::CandidateValue>(v);
    const float x = s.value(which);
    if (std::isnan(x)) continue;
    out.emplace_back(std::string(reco::candidate_value_name(which)), shortest_text(static_cast<double>(x)));
  }
  return out;
}

}  // namespace reco_offline
