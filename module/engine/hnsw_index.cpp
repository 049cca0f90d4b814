// HNSW graph index: its public operations (see reco/hnsw_index.hpp for the shape and the
// reasons; the graph's internals are in hnsw/hnsw_graph.hpp, inserts in hnsw_insert.cpp,
// the saved form in hnsw_persist.cpp).
//
// Threads: search() is const and may run on any number of threads while no thread writes;
// every other member here is the writer's (reco/serving/shared_catalog.hpp).
#include "reco/hnsw_index.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>

#include "hnsw/hnsw_graph.hpp"

namespace reco {
namespace {

// A sweep starts when tombstones reach this many and 1/kSweepDivisor of the live nodes, and
// runs in one part per delete, as many parts as half the tombstones it sweeps (at least
// kSweepMinParts): a part reads about 2 x kSweepDivisor nodes' lists whatever the graph's
// size (at 1M nodes the whole pass held one delete 143 ms, a sixteenth of it still 63 ms;
// bench/RESULTS.md), and the
// sweep ends after half as many deletes as it took to start it, before enough tombstones
// for the next one can pile up.
constexpr std::size_t kSweepMin = 64;
constexpr std::size_t kSweepDivisor = 16;
constexpr std::size_t kSweepMinParts = 16;
static_assert(kSweepMinParts <= kSweepMin / 2);
// A sweep re-prunes a list only if its dead links are more than a quarter of it, or it
// would keep fewer than kSweepKeepMin links; otherwise it just drops them. Measured on
// 20,000 vectors (hnsw_index_test, a third deleted) and 100,000 x 32
// (bench/graph_resend_bench, RESULTS.md).
constexpr std::uint32_t kSweepKeepNum = 3;
constexpr std::uint32_t kSweepKeepDen = 4;
constexpr std::uint32_t kSweepKeepMin = 4;

}  // namespace

HnswIndex::HnswIndex(std::size_t dim, Metric metric, const HnswParams& params)
    : dim_(dim), metric_(metric), params_(params) {
  if (dim == 0) throw Error("dimension must be at least 1");
  static_assert(kMaxLinks >= 128);
  if (params_.m < 2 || params_.m > 128) throw Error("hnsw M must be between 2 and 128");
  if (params_.m0 == 0) params_.m0 = params_.quant == HnswQuant::Int8 ? params_.m : 2 * params_.m;
  if (params_.m0 < 2 || params_.m0 > kMaxLinks) throw Error("hnsw M0 must be between 2 and 1024");
  if (params_.ef_construction < 1 || params_.ef_construction > 100000)
    throw Error("hnsw EF_CONSTRUCTION must be between 1 and 100000");
  if (params_.ef_search > 100000) throw Error("hnsw EF_SEARCH must be at most 100000");
  if (params_.ef_search == 0)
    params_.ef_search = params_.quant == HnswQuant::Int8 ? kDefaultEfSearchInt8 : kDefaultEfSearch;
  if (params_.quant != HnswQuant::Int8) params_.keep_float = false;
  m0_ = params_.m0;
  payload_words_ = params_.quant == HnswQuant::None ? dim_ : (dim_ + 3) / 4 + 1;
  block_words_ = 1 + m0_ + payload_words_;
  page_shift_ = 0;
  while (page_shift_ < 16 && (block_words_ * 4) << (page_shift_ + 1) <= 65536) ++page_shift_;
}

HnswIndex::~HnswIndex() = default;

void HnswIndex::reserve(std::size_t need) {
  // The page table, the page itself (at most 64 KiB) and the float copy of int8 graphs;
  // the slots themselves come into being only when set, so nothing saved changes.
  const std::size_t pages = (need + (std::size_t(1) << page_shift_) - 1) >> page_shift_;
  if (pages_.capacity() < pages) {
    const std::size_t cap = std::max(pages, 2 * pages_.capacity());
    pages_.reserve(cap);
    page_ptrs_.reserve(cap);
  }
  Impl::add_pages(*this, need);
  if (params_.keep_float && floats_.capacity() < need * dim_)
    floats_.reserve(std::max(need, slot_count_ + slot_count_ / 2) * dim_);
}

bool HnswIndex::contains(std::uint32_t id) const noexcept {
  return id < slot_count_ && Impl::state(*this, id) == kLive;
}

std::span<const float> HnswIndex::get(std::uint32_t id) const noexcept {
  if (!contains(id)) return {};
  if (params_.quant == HnswQuant::Int8 && !params_.keep_float) return {};
  return {Impl::exact_vec(*this, id), dim_};
}

bool HnswIndex::read(std::uint32_t id, std::span<float> out) const noexcept {
  if (!contains(id) || out.size() != dim_) return false;
  if (params_.quant == HnswQuant::Int8 && !params_.keep_float)
    hnsw::dequantize(Impl::codes(*this, id), Impl::scale(*this, id), dim_, out.data());
  else
    std::copy_n(Impl::exact_vec(*this, id), dim_, out.data());
  return true;
}

void HnswIndex::set(std::uint32_t id, std::span<const float> v, bool stored_form) {
  if (v.size() != dim_) throw Error("vector size does not match the index dimension");
  if (id == UINT32_MAX) throw Error("item id out of range");
  Vec<float> q(v.begin(), v.end());
  if (metric_ == Metric::Cosine && !stored_form) normalise({q.data(), dim_});

  if (id < slot_count_ && Impl::state(*this, id) == kLive) remove(id);  // an update relinks the node
  HnswInsertPlan plan;
  if (id >= slot_count_ || Impl::state(*this, id) == kFree) {
    Impl::prepare(*this, id, q.data(), plan);
    Impl::plan_links(*this, plan, q.data());
    Impl::apply_links(*this, plan, id);
    return;
  }
  // A tombstone comes back in place: same level (level_for(id)), so links still pointing
  // here stay valid. Its block is rewritten before the walk, which may reach it.
  std::uint32_t* b = Impl::block(*this, id);
  const int L = Impl::level(*this, id);
  --tomb_count_;
  if (L > 0) {
    auto& up = upper_.find(id)->second;
    for (int l = 1; l <= L; ++l) up[std::size_t(l - 1) * (params_.m + 1)] = 0;
  }
  b[0] = (kLive << 24) | (std::uint32_t(L) << 16);
  if (params_.quant == HnswQuant::None) {
    std::memcpy(b + 1 + m0_, q.data(), dim_ * 4);
  } else {
    std::memset(b + 1 + m0_, 0, payload_words_ * 4);
    const float s = hnsw::quantize(q.data(), dim_, reinterpret_cast<std::int8_t*>(b + 1 + m0_));
    std::memcpy(b + block_words_ - 1, &s, 4);
    if (params_.keep_float) std::copy(q.begin(), q.end(), floats_.begin() + std::size_t(id) * dim_);
  }
  ++live_count_;
  plan.index = this;
  plan.slot = id;
  plan.level = L;
  plan.prepared = true;
  Impl::plan_links(*this, plan, q.data());
  Impl::apply_links(*this, plan, id);
}

void HnswIndex::remove(std::uint32_t id) {
  if (!contains(id)) return;
  // An update removes and revives its node, so entries of revived nodes pile up here; they
  // are dropped once they outnumber the tombstones (amortized O(1) a delete; the order of
  // the list has no effect, start_sweep() reads the states).
  if (pending_tombs_.size() >= 2 * tomb_count_ + 64) {
    std::erase_if(pending_tombs_, [&](std::uint32_t s) { return Impl::state(*this, s) != kTomb; });
  }
  pending_tombs_.push_back(id);  // the one allocation that must precede the change
  std::uint32_t* b = Impl::block(*this, id);
  b[0] = (b[0] & 0x00ffffffu) | (kTomb << 24);
  --live_count_;
  ++tomb_count_;
  Vec<std::uint32_t> mine, ids;
  Vec<std::uint64_t> tmp, sel;
  const int L = Impl::level(*this, id);
  for (int l = 0; l <= L; ++l) {
    Impl::List ls = Impl::links(*this, id, l);
    mine.assign(ls.links, ls.links + ls.count);
    for (std::uint32_t y : mine) {
      if (Impl::state(*this, y) != kLive) continue;
      Impl::List ly = Impl::links(*this, y, l);
      auto* end = ly.links + ly.count;
      auto* it = std::find(ly.links, end, id);
      if (it == end) continue;
      std::copy(it + 1, end, it);
      Impl::set_count(*this, y, l, ly.count - 1);
      Impl::repair(*this, y, l, mine.data(), mine.size(), ids, tmp, sel);
    }
  }
  if (entry_ == id) Impl::choose_entry(*this);
  structural_epoch_ = ++epoch_;
  if (!sweeping_ && tomb_count_ >= std::max(kSweepMin, live_count_ / kSweepDivisor)) start_sweep();
  if (sweeping_) sweep_step(sweep_part_);
}

void HnswIndex::sweep() {
  for (int round = 0; round < 2; ++round) {  // the running sweep, then one for what it left
    if (!sweeping_) start_sweep();
    if (sweeping_) sweep_step(sweep_end_);
  }
}

void HnswIndex::start_sweep() {
  // The tombstones of now become kSweep; links to them are removed from every slot that
  // exists now (a node inserted later links only live nodes).
  swept_out_.clear();
  swept_out_.reserve(pending_tombs_.size());
  for (std::uint32_t s : pending_tombs_) {
    if (s >= slot_count_ || Impl::state(*this, s) != kTomb) continue;  // revived, or listed twice
    std::uint32_t* b = Impl::block(*this, s);
    b[0] = (b[0] & 0x00ffffffu) | (kSweep << 24);
    swept_out_.push_back(s);
  }
  pending_tombs_.clear();
  if (swept_out_.empty()) return;
  ++sweeps_;
  sweeping_ = true;
  sweep_cursor_ = 0;
  sweep_end_ = static_cast<std::uint32_t>(slot_count_);
  const std::size_t parts = std::max(kSweepMinParts, swept_out_.size() / 2);
  sweep_part_ = static_cast<std::uint32_t>((sweep_end_ + parts - 1) / parts);
  structural_epoch_ = ++epoch_;
}

void HnswIndex::sweep_step(std::size_t slots) {
  const auto dead = [&](std::uint32_t t) { return Impl::state(*this, t) == kSweep; };
  // Reused across parts (the writer's thread): a part per delete must not allocate per part.
  thread_local Vec<std::uint32_t> extra, ids;
  thread_local Vec<std::uint64_t> tmp, sel;
  const std::uint32_t stop = static_cast<std::uint32_t>(std::min<std::size_t>(sweep_end_, sweep_cursor_ + slots));
  for (std::uint32_t y = sweep_cursor_; y < stop; ++y) {
    const std::uint32_t st = Impl::state(*this, y);
    if (st == kFree || st == kSweep) continue;
    const int L = Impl::level(*this, y);
    for (int l = 0; l <= L; ++l) {
      Impl::List ly = Impl::links(*this, y, l);
      std::uint32_t gone = 0;
      for (std::uint32_t i = 0; i < ly.count; ++i) gone += dead(ly.links[i]);
      if (gone == 0) continue;
      const std::uint32_t keep = ly.count - gone;
      // A tombstone of a later sweep is walked through but never linked from again: its
      // list only has to stop pointing at nodes about to be freed.
      if (st == kTomb || (keep >= kSweepKeepMin && keep * kSweepKeepDen >= ly.count * kSweepKeepNum)) {
        // Enough live links remain: drop the dead ones in place. The rest is a subset of a
        // pruned (diverse) list, so still one; re-pruning it against the dead nodes'
        // neighbours (below) would cost ~100 distances per node for little recall.
        std::uint32_t w = 0;
        for (std::uint32_t i = 0; i < ly.count; ++i)
          if (!dead(ly.links[i])) ly.links[w++] = ly.links[i];
        Impl::set_count(*this, y, l, w);
        continue;
      }
      extra.clear();
      for (std::uint32_t i = 0; i < ly.count; ++i) {
        const std::uint32_t t = ly.links[i];
        if (!dead(t)) continue;
        Impl::List lt = Impl::links(*this, t, l);
        extra.insert(extra.end(), lt.links, lt.links + lt.count);
      }
      Impl::repair(*this, y, l, extra.data(), extra.size(), ids, tmp, sel);
    }
  }
  sweep_cursor_ = stop;
  structural_epoch_ = ++epoch_;
  if (sweep_cursor_ >= sweep_end_) finish_sweep();
}

void HnswIndex::finish_sweep() {
  // Nothing links to a kSweep node any more; one brought back meanwhile is live again.
  for (std::uint32_t s : swept_out_) {
    if (Impl::state(*this, s) != kSweep) continue;
    Impl::block(*this, s)[0] = 0;
    upper_.erase(s);
    --tomb_count_;
  }
  swept_out_.clear();
  sweeping_ = false;
  sweep_cursor_ = sweep_end_ = sweep_part_ = 0;
  structural_epoch_ = ++epoch_;
}

bool HnswIndex::prefers_exact_scan(std::size_t allowed, bool has_allowlist, std::size_t ef,
                                   std::size_t live) noexcept {
  if (allowed < kExactScanPerEf * ef) return true;
  if (!has_allowlist) return false;
  const double crossover = std::sqrt(double(kExactScanAllowListFactor) * double(ef) * double(live));
  return double(allowed) < crossover;
}

std::vector<Hit> HnswIndex::search(std::span<const float> query, std::size_t k,
                                   const ItemFilter& filter, const SearchParams& sp) const {
  if (k == 0 || live_count_ == 0) return {};
  if (query.size() != dim_) throw Error("query vector size does not match the index dimension");
  hnsw::WalkScratch& scratch = hnsw::WalkScratch::local();
  scratch.query.assign(query.begin(), query.end());
  if (metric_ == Metric::Cosine) normalise({scratch.query.data(), dim_});
  const float* q = scratch.query.data();
  const std::size_t ef = std::max(sp.ef ? sp.ef : params_.ef_search, k);

  auto exact = [&]() {
    TopK top(std::min(k, live_count_));
    auto consider = [&](std::uint32_t s) {
      if (Impl::state(*this, s) != kLive) return;
      const float score = -Impl::exact_dist(*this, q, s);
      if (!top.admits(score, s) || !filter.allows(s)) return;
      top.push(score, s);
    };
    if (const auto* allow = filter.allowlist()) {
      for (std::uint32_t id : *allow)
        if (id < slot_count_) consider(id);
    } else if (metric_ != Metric::L2 && (params_.quant == HnswQuant::None || params_.keep_float)) {
      // Inner products of a whole run of slots in one kernel call (the float vectors sit
      // at a fixed stride: inside the level-0 blocks, or back to back in floats_), then
      // the selection's bar; a slot's state and the filter are read only for the few
      // scores that pass it, so a scan touches the vectors and little else.
      const kernels::Table& kern = kernels::active();
      constexpr std::size_t kRun = 256;
      float scores[kRun];
      const std::size_t per_page = std::size_t(1) << page_shift_;
      for (std::size_t start = 0, rows = 0; start < slot_count_; start += rows) {
        rows = std::min({kRun, slot_count_ - start, per_page - (start & (per_page - 1))});
        const auto first = static_cast<std::uint32_t>(start);
        if (params_.quant == HnswQuant::None)
          kern.dot_rows(q, Impl::fvec(*this, first), dim_, block_words_, rows, scores);
        else
          kern.dot_rows(q, floats_.data() + start * dim_, dim_, dim_, rows, scores);
        for (std::size_t r = 0; r < rows; ++r) {
          const auto s = static_cast<std::uint32_t>(start + r);
          if (!top.admits(scores[r], s) || Impl::state(*this, s) != kLive || !filter.allows(s)) continue;
          top.push(scores[r], s);
        }
      }
    } else {
      for (std::uint32_t s = 0; s < slot_count_; ++s) consider(s);
    }
    return top.take_sorted();
  };

  if (sp.exact) return exact();
  if (!filter.empty()) {
    std::size_t allowed = live_count_ - std::min(live_count_, filter.blocked_estimate());
    if (const auto* allow = filter.allowlist()) allowed = std::min(allowed, allow->size());
    if (prefers_exact_scan(allowed, filter.allowlist() != nullptr, ef, live_count_)) {
      exact_fallbacks_.fetch_add(1, std::memory_order_relaxed);
      return exact();
    }
  }

  Impl::with_dist(*this, q, [&](const auto& dist) {
    std::uint32_t ep = entry_;
    float d = dist(ep);
    std::uint64_t seeds_buf[kUpperEf] = {pack(d, ep)};
    std::span<const std::uint64_t> seeds(seeds_buf, 1);
    if (max_level_ >= 1) {
      // A short beam on every upper level (ef / 8 long, at most kUpperEf), each seeded with
      // the whole list of the level above, and the last list seeds level 0. A greedy
      // descent (one node per level) can end in the wrong cluster of well-separated data,
      // and level 0's short links rarely lead out of it: at 100k x 64 in 200 clusters,
      // K=200 with the seen-set, recall@200 goes 0.82 -> 0.95 for ~15% more time; at K=10
      // and ef 64 it costs ~6% (bench/RESULTS.md, "The request path").
      const std::size_t upper_ef = std::clamp<std::size_t>(ef / 8, 1, kUpperEf);
      for (int l = max_level_; l >= 1; --l) {
        Impl::walk(*this, dist, seeds, l, upper_ef, [](std::uint32_t) { return true; }, false);
        auto& up = scratch.result;
        std::copy(up.begin(), up.end(), seeds_buf);
        seeds = {seeds_buf, up.size()};
      }
    }
    if (filter.empty() && tomb_count_ == 0) {
      // Without tombstones every node a walk reaches is live (free slots have no links).
      Impl::walk(*this, dist, seeds, 0, ef, [](std::uint32_t) { return true; }, false);
    } else if (filter.empty()) {
      Impl::walk(*this, dist, seeds, 0, ef,
                 [v = Impl::view(*this)](std::uint32_t s) { return v.state(s) == kLive; });
    } else {
      Impl::walk(*this, dist, seeds, 0, ef, [v = Impl::view(*this), &filter](std::uint32_t s) {
        return v.state(s) == kLive && filter.allows(s);
      });
    }
    return 0;
  });
  auto& res = scratch.result;
  if (params_.keep_float)
    for (auto& p : res) p = pack(Impl::exact_dist(*this, q, slot_of(p)), slot_of(p));
  std::sort(res.begin(), res.end());
  if (res.size() < k && !(filter.empty() && res.size() >= live_count_)) return exact();
  std::vector<Hit> hits;
  hits.reserve(std::min(k, res.size()));
  for (std::size_t i = 0; i < res.size() && i < k; ++i)
    hits.push_back({slot_of(res[i]), -dist_of(res[i])});
  return hits;
}

std::size_t HnswIndex::memory_bytes() const noexcept {
  // A hash node holds the next pointer and the (key, list) pair.
  constexpr std::size_t kNode = sizeof(void*) + sizeof(std::pair<const std::uint32_t, Vec<std::uint32_t>>);
  std::size_t bytes = sizeof(*this) + heap_bytes(pages_) + heap_bytes(page_ptrs_) + heap_bytes(floats_) +
                      heap_bytes(pending_tombs_) + heap_bytes(swept_out_) + upper_.bucket_count() * sizeof(void*);
  for (const auto& page : pages_) bytes += heap_bytes(page);
  for (const auto& [s, lists] : upper_) bytes += kNode + heap_bytes(lists);
  return bytes;
}

std::size_t HnswIndex::upper_lists() const noexcept {
  std::size_t n = 0;
  for (const auto& [s, lists] : upper_) n += std::size_t(Impl::level(*this, s));
  return n;
}

}  // namespace reco
