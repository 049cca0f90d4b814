// The candidate ranker's fields, rows and served metrics (see candidate_ranker.hpp).
#include "reco_offline/candidate_ranker.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <numeric>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "reco/fingerprint.hpp"
#include "reco_offline/prng.hpp"
#include "reco_offline/text_input.hpp"

namespace reco_offline {

namespace {

std::vector<std::string> sorted_values(const std::set<std::string>& values) {
  return std::vector<std::string>(values.begin(), values.end());
}

const ItemRecord* find_item(const CandidateWorld& w, const std::string& id) {
  const auto it = w.item_pos.find(id);
  return it == w.item_pos.end() ? nullptr : &w.items[it->second];
}

}  // namespace

RankSchema make_candidate_schema(const CandidateWorld& world, const std::vector<CandidateList>& lists,
                                 const std::vector<size_t>& train_lists, const std::string& user_prefix, int dim,
                                 const std::vector<int>& hidden, bool item_id_field) {
  RankSchema s;
  s.user_prefix = user_prefix;
  s.dim = dim;
  s.hidden = hidden;
  RankField item_id{"item_id", "item", RankKind::Categorical, "id", {}, 0, 1};
  std::set<std::string> genres;
  for (const ItemRecord& it : world.items) {
    item_id.vocab.push_back(it.id);
    genres.insert(it.terms.begin(), it.terms.end());
  }
  if (item_id_field) s.categorical.push_back(std::move(item_id));
  for (const char* name : {"gender", "age", "occupation"}) {
    std::set<std::string> values;
    for (const CandidateUser& u : world.users)
      for (const auto& [n, v] : u.record.features)
        if (n == name) values.insert(v);
    if (values.empty()) continue;
    s.categorical.push_back({name, "user", RankKind::Categorical, std::string("feature:") + name, sorted_values(values), 0, 1});
  }
  std::set<std::string> user_genres;
  for (const CandidateUser& u : world.users)
    for (const auto& t : u.record.terms) user_genres.insert(t.first);
  s.multi.push_back({"genres", "item", RankKind::Multi, "terms", sorted_values(genres), 0, 1});
  s.multi.push_back({"user_genres", "user", RankKind::Multi, "terms", sorted_values(user_genres), 0, 1});

  // Candidate fields, standardised over the values the training lists hold.
  for (size_t v = 0; v < reco::kCandidateValueCount; ++v) {
    const auto which = static_cast<reco::CandidateValue>(v);
    double sum = 0, sq = 0;
    size_t n = 0;
    for (size_t l : train_lists)
      for (const reco::CandidateSignals& sg : lists[l].signals) {
        const float x = sg.value(which);
        if (std::isnan(x)) continue;
        sum += x;
        sq += double(x) * x;
        ++n;
      }
    const double mean = n ? sum / double(n) : 0.0;
    const double var = n ? std::max(0.0, sq / double(n) - mean * mean) : 0.0;
    const std::string value(reco::candidate_value_name(which));
    s.dense.push_back({"candidate." + value, "candidate", RankKind::Dense, "candidate:" + value, {}, mean,
                       var > 1e-12 ? std::sqrt(var) : 1.0});
  }
  return s;
}

RankInput candidate_input(const CandidateWorld& world, const CandidateList& list, size_t i,
                          const std::string& user_prefix) {
  const UserRecord& u = world.users[list.user].record;
  RankInput in;
  in.user_key = user_prefix + u.id;
  in.user_features = u.features;
  for (const auto& t : u.terms) in.user_terms.push_back(t.first);
  in.item_id = list.items[i];
  if (const ItemRecord* it = find_item(world, in.item_id)) {
    in.item_features = it->features;
    in.item_terms = it->terms;
  }
  in.candidate = candidate_values_text(list.signals[i]);
  return in;
}

CandidateSplit split_candidate_lists(const CandidateWorld& world, const std::vector<CandidateList>& lists,
                                     double judge_share, uint64_t seed) {
  CandidateSplit split;
  const uint64_t cut = judge_share <= 0 ? 0
                       : judge_share >= 1 ? UINT64_MAX
                                          : static_cast<uint64_t>(judge_share * 18446744073709551616.0);
  for (size_t l = 0; l < lists.size(); ++l) {
    Rng hash(seed ^ reco::fingerprint(world.users[lists[l].user].record.id), 7);
    (hash.next() < cut ? split.judge : split.train).push_back(l);
  }
  return split;
}

RankRows encode_candidates(const CandidateWorld& world, const std::vector<CandidateList>& lists,
                           const std::vector<size_t>& which, const RankEncoder& encoder, const std::string& user_prefix,
                           size_t negatives, uint64_t seed, std::vector<size_t>* offsets) {
  RankRows rows = encoder.empty_rows();
  if (offsets) offsets->clear();
  std::vector<size_t> pick;
  for (size_t l : which) {
    const CandidateList& list = lists[l];
    if (offsets) offsets->push_back(rows.size());
    pick.clear();
    if (negatives == 0) {
      pick.resize(list.items.size());
      std::iota(pick.begin(), pick.end(), size_t(0));
    } else {
      std::vector<size_t> neg;
      for (size_t i = 0; i < list.items.size(); ++i) (list.label[i] ? pick : neg).push_back(i);
      Rng rng(seed, 1000 + l);
      for (size_t k = 0; k < negatives && k < neg.size(); ++k) {  // partial Fisher-Yates
        std::swap(neg[k], neg[k + rng.below(neg.size() - k)]);
        pick.push_back(neg[k]);
      }
    }
    for (size_t i : pick) encoder.append(candidate_input(world, list, i, user_prefix), list.label[i], rows);
  }
  if (offsets) offsets->push_back(rows.size());
  return rows;
}

void write_candidate_lists(const std::string& path, const CandidateWorld& world,
                           const std::vector<CandidateList>& lists) {
  std::ofstream out(path);
  if (!out) throw DataError(path + ": cannot open for writing");
  out << "user\titem\tlabel";
  for (size_t v = 0; v < reco::kCandidateValueCount; ++v)
    out << '\t' << reco::candidate_value_name(static_cast<reco::CandidateValue>(v));
  out << '\n';
  for (const CandidateList& l : lists)
    for (size_t i = 0; i < l.items.size(); ++i) {
      out << world.users[l.user].record.id << '\t' << l.items[i] << '\t' << int(l.label[i]);
      for (size_t v = 0; v < reco::kCandidateValueCount; ++v) {
        const float x = l.signals[i].value(static_cast<reco::CandidateValue>(v));
        out << '\t';
        if (!std::isnan(x)) out << shortest_text(static_cast<double>(x));
      }
      out << '\n';
    }
  if (!out) throw DataError(path + ": write failed");
}

RankingMetrics served_metrics(const CandidateWorld& world, const std::vector<CandidateList>& lists,
                              const std::vector<size_t>& which, const std::vector<size_t>& offsets,
                              const std::vector<float>& scores, size_t k) {
  RankingAccumulator acc(k);
  std::vector<size_t> order;
  std::vector<std::string> ranked;
  for (size_t n = 0; n < which.size(); ++n) {
    const CandidateList& list = lists[which[n]];
    order.resize(list.items.size());
    std::iota(order.begin(), order.end(), size_t(0));
    if (!scores.empty()) {
      const float* s = scores.data() + offsets[n];
      std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return s[a] > s[b]; });
    }
    ranked.clear();
    for (size_t i = 0; i < order.size() && i < k; ++i) ranked.push_back(list.items[order[i]]);
    const auto& rel = world.users[list.user].relevant;
    acc.add(ranked, std::unordered_set<std::string>(rel.begin(), rel.end()));
  }
  return acc.result();
}

}  // namespace reco_offline
