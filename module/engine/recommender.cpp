// Recall -> merge -> order -> top K (see reco/recommender.hpp).
#include "reco/recommender.hpp"

#include <strings.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <optional>

#include "reco/candidate_fields.hpp"
#include "reco/error.hpp"
#include "reco/item_similarity.hpp"

namespace reco {
namespace {

using Clock = std::chrono::steady_clock;
double micros(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::micro>(b - a).count();
}

constexpr std::array<std::string_view, kSourceCount> kSourceNames = {"vector", "term", "session",
                                                                      "popular"};

// Posting entries term recall reads in full before it reads only the heads of the lists.
constexpr std::size_t kTermExactScan = 50000;
// How many allowed items of each term's list (most popular first) a bounded recall reads,
// per unit of budget.
constexpr std::size_t kTermDepthPerBudget = 8;

// Items carrying the user's terms, scored by the sum of the weights of the terms they
// carry; ties go to the more popular item. Term-at-a-time into a dense accumulator that
// lives as long as the thread, so a request allocates nothing proportional to the catalog.
// When the lists are long (broad genres over a large catalog), each term contributes only
// the head of its list in popular order: the budget * kTermDepthPerBudget most popular
// allowed items carrying it. Exact for every item in some head; an item outside all heads
// is less popular than `depth` allowed items of each of its terms, and is only missed when
// it carries more of the user's terms than those.
std::vector<Hit> term_recall(const Catalog& catalog, std::span<const WeightedTerm> terms, std::size_t budget,
                             const ItemFilter& filter) {
  thread_local Vec<float> acc;
  thread_local Vec<std::uint32_t> touched;
  if (acc.size() < catalog.id_bound()) acc.resize(catalog.id_bound(), 0.0f);
  touched.clear();
  std::size_t total = 0;
  for (const WeightedTerm& t : terms)
    if (t.weight > 0) total += catalog.terms().postings(view(t.term)).size();
  const bool bounded = total > kTermExactScan;
  const std::size_t depth = budget * kTermDepthPerBudget;
  for (const WeightedTerm& t : terms) {
    if (!(t.weight > 0)) continue;  // a zero or negative preference recalls nothing
    if (!bounded) {
      for (std::uint32_t id : catalog.terms().postings(view(t.term))) {
        if (acc[id] == 0.0f) touched.push_back(id);
        acc[id] += t.weight;
      }
      continue;
    }
    std::size_t taken = 0;
    for (std::uint32_t id : catalog.popular_postings(view(t.term))) {
      if (taken == depth) break;
      if (!filter.allows(id)) continue;
      ++taken;
      if (acc[id] == 0.0f) touched.push_back(id);
      acc[id] += t.weight;
    }
  }
  // Ties go to the more popular item: each candidate carries its popular key, read once.
  struct Scored {
    float score;
    OrderKey key;
  };
  thread_local Vec<Scored> scored;
  scored.clear();
  for (std::uint32_t id : touched) {
    const float s = acc[id];
    acc[id] = 0.0f;
    if (bounded || filter.allows(id)) scored.push_back({s, catalog.popular_key(id)});
  }
  auto better = [](const Scored& a, const Scored& b) {
    if (a.score != b.score) return a.score > b.score;
    return before(a.key, b.key);
  };
  if (scored.size() > budget) {
    std::nth_element(scored.begin(), scored.begin() + static_cast<std::ptrdiff_t>(budget),
                     scored.end(), better);
    scored.resize(budget);
  }
  std::sort(scored.begin(), scored.end(), better);
  std::vector<Hit> out;
  out.reserve(scored.size());
  for (const Scored& h : scored) out.push_back({h.key.id, h.score});
  return out;
}

// Dense id -> position in the candidate list, for one request at a time per thread.
// Linear probing over a power-of-two table at most half full; an entry packs (id + 1) and
// the position, 0 meaning empty. reset() clears only the table size the request needs.
class CandidateSlots {
 public:
  static CandidateSlots& local() {
    thread_local CandidateSlots s;
    return s;
  }
  void reset(std::size_t most) {
    std::size_t size = 64;
    while (size < 2 * most + 2) size *= 2;
    if (table_.size() < size) table_.resize(size);
    mask_ = size - 1;
    std::fill(table_.begin(), table_.begin() + static_cast<std::ptrdiff_t>(size), 0);
  }
  // The position of `id`, or `next` (recorded as its position) if it was not there.
  std::uint32_t find_or_add(std::uint32_t id, std::uint32_t next) {
    const std::uint64_t key = std::uint64_t(id) + 1;
    for (std::size_t h = (id * 0x9E3779B1u) & mask_;; h = (h + 1) & mask_) {
      const std::uint64_t e = table_[h];
      if (e == 0) {
        table_[h] = (key << 32) | next;
        return next;
      }
      if ((e >> 32) == key) return static_cast<std::uint32_t>(e);
    }
  }

 private:
  Vec<std::uint64_t> table_;
  std::size_t mask_ = 0;
};

// The user's seen-set as a bitmap over the catalog's dense ids, for one request at a time
// per thread (the words stay allocated; only those a request set are cleared after it).
class SeenBits {
 public:
  explicit SeenBits(const Catalog& catalog, const SeenSet& seen) : s_(local()) {
    const std::size_t words = (std::size_t(catalog.id_bound()) + 63) / 64;
    if (s_.words.size() < words) s_.words.resize(words, 0);
    for (std::uint64_t fp : seen.fingerprints()) {
      if (auto d = catalog.find_fingerprint(fp)) {
        s_.words[*d >> 6] |= std::uint64_t(1) << (*d & 63);
        s_.set.push_back(*d >> 6);
      }
    }
    words_ = words;
  }
  ~SeenBits() {
    for (std::uint32_t w : s_.set) s_.words[w] = 0;
    s_.set.clear();
  }
  SeenBits(const SeenBits&) = delete;
  SeenBits& operator=(const SeenBits&) = delete;
  const std::uint64_t* data() const noexcept { return s_.words.data(); }
  std::size_t words() const noexcept { return words_; }

 private:
  struct Scratch {
    Vec<std::uint64_t> words;
    Vec<std::uint32_t> set;  // indexes of words with a bit set
  };
  static Scratch& local() {
    thread_local Scratch s;
    return s;
  }
  Scratch& s_;
  std::size_t words_ = 0;
};

// The popular source has no score of its own (its rank is the signal).
std::vector<Hit> popular_recall(const Catalog& catalog, std::size_t budget, const ItemFilter& filter) {
  std::vector<Hit> out;
  for (std::uint32_t id : catalog.popular_order()) {
    if (out.size() >= budget) break;
    if (filter.allows(id)) out.push_back({id, CandidateSignals::kMissing});
  }
  return out;
}

// Mean of the session items' vectors: one query for "more like what is being browsed",
// answered by the item-to-item score (reco/item_similarity.hpp).
std::vector<float> session_query(const Catalog& catalog, std::span<const std::uint32_t> session) {
  std::vector<float> q;
  std::size_t n = 0;
  for (std::uint32_t id : session) {
    auto v = catalog.vector(id);
    if (v.empty()) continue;
    if (q.empty()) q.assign(v.size(), 0.0f);
    for (std::size_t i = 0; i < v.size(); ++i) q[i] += v[i];
    ++n;
  }
  for (float& x : q) x /= static_cast<float>(n);
  return q;
}

// Each source's score for every candidate, recalled by it or not (reco/candidate_fields.hpp):
// in double from the stored vectors, so that it is the same number offline and online on
// any CPU, whichever index (exact, graph, quantised) recalled the candidate.
void complete_scores(const Catalog& catalog, const UserProfile* user, std::span<const float> session_q,
                     const std::vector<Recommendation>& cands, std::vector<CandidateSignals>& signals) {
  const bool has_vector = user && user->vector.size() == catalog.dim();
  std::vector<double> q;
  if (has_vector) {
    q.assign(user->vector.begin(), user->vector.end());
    if (catalog.metric() == Metric::Cosine) {
      double n2 = 0;
      for (double x : q) n2 += x * x;
      if (n2 > 0)
        for (double& x : q) x /= std::sqrt(n2);
    }
  }
  const bool has_terms = user && !user->terms.empty();
  for (const Recommendation& c : cands) {
    CandidateSignals& sg = signals[c.slot];
    const std::vector<float> v = (has_vector || !session_q.empty()) ? catalog.vector(c.id) : std::vector<float>{};
    if (has_vector && !v.empty()) {
      double s = 0;
      if (catalog.metric() == Metric::L2) {
        for (std::size_t k = 0; k < v.size(); ++k) s -= (q[k] - v[k]) * (q[k] - v[k]);
      } else {
        for (std::size_t k = 0; k < v.size(); ++k) s += q[k] * v[k];
      }
      sg.score[static_cast<std::size_t>(Source::Vector)] = static_cast<float>(s);
    }
    if (has_terms) {  // as term recall adds: the positive weights, in the user's order, in float
      float acc = 0;
      for (const WeightedTerm& t : user->terms) {
        if (!(t.weight > 0)) continue;
        for (const String& it : catalog.item(c.id).terms)
          if (it == t.term) {
            acc += t.weight;
            break;
          }
      }
      sg.score[static_cast<std::size_t>(Source::Term)] = acc;
    }
    if (!session_q.empty() && !v.empty())
      sg.score[static_cast<std::size_t>(Source::Session)] = item_score(catalog, session_q, v);
  }
}

}  // namespace

std::string_view source_name(Source s) { return kSourceNames[static_cast<std::size_t>(s)]; }

std::optional<Source> parse_source(std::string_view s) {
  for (std::size_t i = 0; i < kSourceCount; ++i) {
    auto n = kSourceNames[i];
    if (s.size() == n.size() && strncasecmp(s.data(), n.data(), n.size()) == 0)
      return static_cast<Source>(i);
  }
  return std::nullopt;
}

std::array<SourceConfig, kSourceCount> default_sources(std::size_t k) {
  return resolve_sources(BlendConfig{}, k);
}

RecommendRequest::RecommendRequest() : sources(default_sources(k)) {}

void RecommendRequest::use_blend(const BlendConfig& config) {
  blend = config;
  sources = resolve_sources(config, k);
}

RecommendResult recommend(const Catalog& catalog, const UserProfile* user,
                          const RecommendRequest& req) {
  if (req.k == 0 || req.k > kMaxK) throw Error("K must be between 1 and " + std::to_string(kMaxK));
  const auto t0 = Clock::now();
  RecommendResult result;
  RecommendStats& stats = result.stats;

  ItemFilter filter(user ? &user->seen : nullptr, catalog.fingerprints());
  // Every source probes the filter (hundreds to thousands of times a request): one lookup
  // per seen item up front makes each probe a bit test.
  std::optional<SeenBits> seen_bits;
  if (user && !user->seen.empty()) {
    seen_bits.emplace(catalog, user->seen);
    filter.use_seen_bits(seen_bits->data(), seen_bits->words());
  }
  filter.exclude(req.exclude);
  filter.exclude(req.session);
  if (req.only_terms) filter.restrict_to(catalog.items_with_any_term(*req.only_terms));

  // Merge: an open-addressing table from dense id to candidate position, sized by the
  // request's budgets (every source returns at most its budget), not by the catalog, and
  // kept per thread: merging allocates nothing per candidate and nothing per catalog item.
  std::vector<Recommendation> cands;
  std::size_t most = 0;
  for (const SourceConfig& c : req.sources) most += c.budget;
  CandidateSlots& slots = CandidateSlots::local();
  slots.reset(most);
  // Each candidate's signals (reco/candidate_fields.hpp), kept when the model reads them or
  // the caller asked; indexed by the candidate's position in `cands` (Recommendation::slot).
  const std::size_t cand_fields = req.model ? req.model->model().candidate_count() : 0;
  const bool keep_signals = req.with_signals || cand_fields > 0;
  std::vector<CandidateSignals> signals;
  auto contribute = [&](Source s, const std::vector<Hit>& ranked) {
    const SourceConfig& cfg = req.source(s);
    const auto si = static_cast<std::size_t>(s);
    stats.recalled[si] = ranked.size();
    for (std::size_t r = 0; r < ranked.size(); ++r) {
      const std::uint32_t pos = slots.find_or_add(ranked[r].id, static_cast<std::uint32_t>(cands.size()));
      if (pos == cands.size()) {
        cands.push_back({ranked[r].id, pos, 0.0, 0});
        if (keep_signals) signals.emplace_back();
      }
      Recommendation& c = cands[pos];
      c.score += blend_score(r, cfg.budget, cfg.weight);
      c.sources |= static_cast<std::uint8_t>(1u << static_cast<unsigned>(s));
      if (keep_signals) {
        signals[pos].rank[si] = static_cast<float>(double(r) / double(cfg.budget));
        signals[pos].score[si] = ranked[r].score;
      }
    }
  };

  bool signal = false;
  const auto& vec_cfg = req.source(Source::Vector);
  if (user && user->vector.size() == catalog.dim()) {
    signal = true;
    if (vec_cfg.budget > 0)
      contribute(Source::Vector, catalog.search(user->vector, vec_cfg.budget, filter, req.ef));
  }
  const auto& term_cfg = req.source(Source::Term);
  if (user && !user->terms.empty()) {
    signal = true;
    if (term_cfg.budget > 0)
      contribute(Source::Term, term_recall(catalog, user->terms, term_cfg.budget, filter));
  }
  const auto& ses_cfg = req.source(Source::Session);
  std::vector<float> q;  // the session's query, kept for the candidates' session scores
  if (!req.session.empty()) {
    q = session_query(catalog, req.session);
    if (!q.empty()) {
      signal = true;
      if (ses_cfg.budget > 0)
        contribute(Source::Session, item_neighbours(catalog, q, ses_cfg.budget, filter, req.ef));
    }
  }
  const auto& pop_cfg = req.source(Source::Popular);
  if (pop_cfg.budget > 0) contribute(Source::Popular, popular_recall(catalog, pop_cfg.budget, filter));
  stats.cold = !signal;
  stats.candidates = cands.size();
  if (keep_signals) complete_scores(catalog, user, q, cands, signals);
  const auto t1 = Clock::now();

  // The popularity/recency term of the blend (reco/blend.hpp), for every candidate; a model
  // replaces the whole blend, so it is skipped then, unless the candidates' signals (which
  // hold the blend score) are kept.
  const bool need_blend = !req.model || keep_signals;
  if (need_blend && (req.blend.popularity > 0 || keep_signals) && !cands.empty()) {
    const auto& order = catalog.popular_order();
    const double max_pop = order.empty() ? 0.0 : catalog.item(order.front()).popularity;
    std::int64_t newest = catalog.item(cands.front().id).time;
    for (const Recommendation& c : cands) newest = std::max(newest, catalog.item(c.id).time);
    // The request's own values: how popular what this user has seen is, and how much.
    double seen_pop = 0;
    std::size_t seen_in = 0;
    if (keep_signals && user)
      for (std::uint64_t fp : user->seen.fingerprints())
        if (auto d = catalog.find_fingerprint(fp)) {
          seen_pop += std::log1p(std::max(0.0, catalog.item(*d).popularity));
          ++seen_in;
        }
    for (Recommendation& c : cands) {
      const Item& it = catalog.item(c.id);
      if (req.blend.popularity > 0) c.score += popularity_term(req.blend, it.popularity, max_pop, it.time, newest);
      if (keep_signals) {
        CandidateSignals& sg = signals[c.slot];
        sg.blend = static_cast<float>(c.score);
        sg.popularity = static_cast<float>(std::log1p(std::max(0.0, it.popularity)));
        sg.age = static_cast<float>(double(newest - it.time) / 86400.0);
        sg.user_seen = static_cast<float>(std::log1p(double(seen_in)));
        if (seen_in) sg.user_popularity = static_cast<float>(seen_pop / double(seen_in));
      }
    }
  }

  // A model replaces the blend: one batch over the precomputed item rows, with the
  // candidate fields' values gathered from the signals.
  if (req.model && !cands.empty()) {
    const Model& model = req.model->model();
    UserSide side = model.prepare_user(req.user_key, user, req.context);
    std::vector<std::uint32_t> ids(cands.size());
    for (std::size_t i = 0; i < cands.size(); ++i) ids[i] = cands[i].id;
    std::vector<float> values(cands.size() * cand_fields);
    for (std::size_t i = 0; i < cands.size(); ++i)
      for (std::size_t f = 0; f < cand_fields; ++f)
        values[i * cand_fields + f] = signals[cands[i].slot].value(model.candidate_value(f));
    std::vector<float> scores(cands.size());
    req.model->items().score(side, ids, scores, cand_fields ? values.data() : nullptr);
    for (std::size_t i = 0; i < cands.size(); ++i) cands[i].score = scores[i];
    req.model->record(scores, side);
  }
  if (req.model) stats.model = req.model->name();

  auto before = [&](const Recommendation& a, const Recommendation& b) {
    if (a.score != b.score) return a.score > b.score;
    return catalog.popular_before(a.id, b.id);
  };
  const std::size_t keep = std::min(req.k, cands.size());
  // Select, then sort only what is kept (a partial sort is a heap of K: slower once K is a
  // good part of the candidates, as in a vector-only request for its whole budget).
  if (keep < cands.size()) {
    std::nth_element(cands.begin(), cands.begin() + static_cast<std::ptrdiff_t>(keep), cands.end(), before);
    cands.resize(keep);
  }
  std::sort(cands.begin(), cands.end(), before);
  if (req.with_signals) {
    result.signals.reserve(cands.size());
    for (const Recommendation& c : cands) result.signals.push_back(signals[c.slot]);
  }
  result.items = std::move(cands);
  const auto t2 = Clock::now();
  stats.recall_us = micros(t0, t1);
  stats.rank_us = micros(t1, t2);
  stats.total_us = micros(t0, t2);
  return result;
}

std::vector<Hit> similar(const Catalog& catalog, std::uint32_t dense, std::size_t k,
                         ItemFilter filter, std::size_t ef) {
  auto v = catalog.vector(dense);
  if (v.empty()) return {};
  filter.exclude(dense);
  return item_neighbours(catalog, v, k, filter, ef);
}

std::vector<Hit> nearest(const Catalog& catalog, std::span<const float> query, std::size_t k,
                         const ItemFilter& filter, std::size_t ef) {
  if (query.size() != catalog.dim())
    throw Error("query vector has " + std::to_string(query.size()) + " values, catalog '" +
                std::string(catalog.name()) + "' has dimension " + std::to_string(catalog.dim()));
  return catalog.search(query, k, filter, ef);
}

}  // namespace reco
