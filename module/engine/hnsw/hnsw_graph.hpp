// The HNSW graph's internals, shared by the index's parts: the public operations
// (hnsw_index.cpp), linking new nodes in two steps (hnsw_insert.cpp) and the saved
// form (hnsw_persist.cpp). Private to the engine: only those three include it.
//
// Level-0 block of a slot, in 32-bit words:
//   [0]            header: link count (bits 0-15), level (16-23), state (24-31)
//   [1 .. 1+m0)    links (slots)
//   [1+m0 ..)      vector: dim floats, or ceil(dim/4) words of int8 codes + 1 word scale
// Walk heaps hold (distance, slot) packed into one u64 whose integer order is the order of
// the distance (then of the slot): comparisons are single integer compares, ties break
// toward the smaller id as everywhere in reco, and a NaN can not break the heap.

#pragma once

#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
#include <limits>
#include <span>
#include <vector>

#include "reco/error.hpp"
#include "reco/hnsw_distance.hpp"
#include "reco/hnsw_index.hpp"
#include "reco/hnsw_quantizer.hpp"
#include "reco/kernels.hpp"

// The kernels' 32-byte vector helpers are inlined; GCC's AVX argument-passing note is moot.
#pragma GCC diagnostic ignored "-Wpsabi"

namespace reco {
namespace hnsw_detail {

// kSweep: a tombstone the running sweep removes links to; freed when the sweep ends.
inline constexpr std::uint32_t kFree = 0, kLive = 1, kTomb = 2, kSweep = 3;

inline std::uint32_t fkey(float d) noexcept {
  std::uint32_t b;
  std::memcpy(&b, &d, 4);
  return (b & 0x80000000u) ? ~b : (b | 0x80000000u);
}
inline float unkey(std::uint32_t k) noexcept {
  std::uint32_t b = (k & 0x80000000u) ? (k & 0x7fffffffu) : ~k;
  float f;
  std::memcpy(&f, &b, 4);
  return f;
}
inline std::uint64_t pack(float d, std::uint32_t s) noexcept {
  return (std::uint64_t(fkey(d)) << 32) | s;
}
inline std::uint32_t slot_of(std::uint64_t p) noexcept { return static_cast<std::uint32_t>(p); }
inline float dist_of(std::uint64_t p) noexcept { return unkey(static_cast<std::uint32_t>(p >> 32)); }

inline std::uint64_t splitmix64(std::uint64_t x) noexcept {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

// Always inlined: GCC models a prefetch as free of side effects, so a helper that only
// prefetches is judged "const" and a call to it, whose result is unused, is deleted unless
// it was inlined first (seen with GCC 12 at -O2: a walk whose prefetches sat in such a
// helper compiled to no prefetch at all).
[[gnu::always_inline]] inline void prefetch(const void* p) noexcept { __builtin_prefetch(p, 0, 3); }

}  // namespace hnsw_detail

using hnsw_detail::dist_of;
using hnsw_detail::kFree;
using hnsw_detail::kLive;
using hnsw_detail::kSweep;
using hnsw_detail::kTomb;
using hnsw_detail::pack;
using hnsw_detail::prefetch;
using hnsw_detail::slot_of;
using hnsw_detail::splitmix64;

// An insert planned ahead (hnsw_insert.cpp): every list it writes, and every list it
// read to choose them (the walk's expanded nodes, the greedy descent, the neighbours'
// old lists), as list_key (level, node). Immutable once planned.
struct HnswInsertPlan final : VectorInsertPlan {
  // The index it was planned on. Compared by address: a catalog's index lives as long as
  // the catalog, and whoever holds a plan holds the catalog (the write task's shared_ptr),
  // so the address cannot be reused by another index meanwhile.
  const HnswIndex* index = nullptr;
  std::uint32_t slot = 0;  // the slot it was planned for
  int level = 0;
  std::uint64_t epoch = 0;  // the graph's change count when planned
  bool prepared = false;    // the block was written before planning (writer only)
  bool first = false;       // the graph was empty: the node becomes the entry point
  // No neighbour's old list held a link at exactly the new node's distance: list order
  // then does not depend on the node's slot, so the plan holds for another free slot of
  // the same level.
  bool tie_free = true;
  std::vector<std::uint32_t> payload;  // the block's vector part
  std::vector<float> exact;            // int8 with keep_float: the float copy
  struct Write {
    std::uint32_t node;
    int level;
    std::uint32_t begin, count;  // into links
  };
  std::vector<Write> writes;  // the node's own lists first, then its neighbours'
  std::vector<std::uint32_t> links;
  std::vector<std::uint64_t> touched;  // sorted, unique
};

// A node being linked whose block is not written yet (hnsw_insert.cpp): distances to it
// read its payload (the block's vector part) from the plan instead.
struct HnswPending {
  std::uint32_t slot = UINT32_MAX;
  const std::uint32_t* payload = nullptr;
};

// The graph algorithms, kept out of the header.
struct HnswIndex::Impl {
  // ---- block access ----
  static std::uint32_t* block(HnswIndex& x, std::uint32_t s) {
    return x.page_ptrs_[s >> x.page_shift_] +
           std::size_t(s & ((1u << x.page_shift_) - 1)) * x.block_words_;
  }
  static const std::uint32_t* block(const HnswIndex& x, std::uint32_t s) {
    return x.page_ptrs_[s >> x.page_shift_] +
           std::size_t(s & ((1u << x.page_shift_) - 1)) * x.block_words_;
  }
  // The level-0 geometry by value, for the hot loops: held in locals, it is not reloaded
  // after every store into the walk's heaps.
  struct View {
    std::uint32_t* const* pages;
    unsigned shift;
    std::uint32_t mask;
    std::size_t bw, off, dim, vec_bytes;
    const std::uint32_t* block(std::uint32_t s) const noexcept {
      return pages[s >> shift] + std::size_t(s & mask) * bw;
    }
    std::uint32_t state(std::uint32_t s) const noexcept { return block(s)[0] >> 24; }
  };
  static View view(const HnswIndex& x) {
    return {x.page_ptrs_.data(), unsigned(x.page_shift_), (1u << x.page_shift_) - 1,
            x.block_words_, 1 + x.m0_, x.dim_, x.payload_words_ * 4};
  }
  // Pages for slots [0, need), each built before it is appended: a failed allocation
  // leaves the page table as it was, never with an empty page in it.
  static void add_pages(HnswIndex& x, std::size_t need) {
    while ((x.pages_.size() << x.page_shift_) < need) {
      Vec<std::uint32_t> page(x.block_words_ << x.page_shift_, 0);
      if (x.page_ptrs_.size() == x.page_ptrs_.capacity())
        x.page_ptrs_.reserve(std::max<std::size_t>(8, 2 * x.page_ptrs_.capacity()));
      x.pages_.push_back(std::move(page));
      x.page_ptrs_.push_back(x.pages_.back().data());
    }
  }
  // Makes slots [0, need) exist (new ones free).
  static void grow(HnswIndex& x, std::size_t need) {
    if (need <= x.slot_count_) return;
    add_pages(x, need);
    if (x.params_.keep_float) {
      if (x.floats_.capacity() < need * x.dim_)
        x.floats_.reserve(std::max(need, x.slot_count_ + x.slot_count_ / 2) * x.dim_);
      x.floats_.resize(need * x.dim_, 0.0f);
    }
    x.slot_count_ = need;
  }
  static std::uint32_t state(const HnswIndex& x, std::uint32_t s) { return block(x, s)[0] >> 24; }
  static int level(const HnswIndex& x, std::uint32_t s) { return (block(x, s)[0] >> 16) & 0xff; }
  static const float* fvec(const HnswIndex& x, std::uint32_t s) {
    return reinterpret_cast<const float*>(block(x, s) + 1 + x.m0_);
  }
  static const std::int8_t* codes(const HnswIndex& x, std::uint32_t s) {
    return reinterpret_cast<const std::int8_t*>(block(x, s) + 1 + x.m0_);
  }
  static float scale(const HnswIndex& x, std::uint32_t s) {
    float f;
    std::memcpy(&f, block(x, s) + x.block_words_ - 1, 4);
    return f;
  }
  static const float* exact_vec(const HnswIndex& x, std::uint32_t s) {
    return x.params_.quant == HnswQuant::None ? fvec(x, s) : x.floats_.data() + std::size_t(s) * x.dim_;
  }

  // Links of slot s on `lvl`: pointer to the count word's list and the count.
  struct List {
    std::uint32_t* links;
    std::uint32_t count;
  };
  static List links(const HnswIndex& x, std::uint32_t s, int lvl) {
    auto* self = const_cast<HnswIndex*>(&x);
    if (lvl == 0) {
      std::uint32_t* b = block(*self, s);
      return {b + 1, b[0] & 0xffff};
    }
    auto it = self->upper_.find(s);
    std::uint32_t* l = it->second.data() + std::size_t(lvl - 1) * (x.params_.m + 1);
    return {l + 1, l[0]};
  }
  static void set_count(HnswIndex& x, std::uint32_t s, int lvl, std::uint32_t c) {
    if (lvl == 0) {
      std::uint32_t* b = block(x, s);
      b[0] = (b[0] & 0xffff0000u) | c;
    } else {
      x.upper_.find(s)->second[std::size_t(lvl - 1) * (x.params_.m + 1)] = c;
    }
  }
  // A list's identity in a planned insert's trace and in the change log: (level, node).
  static std::uint64_t list_key(int lvl, std::uint32_t s) noexcept {
    return (std::uint64_t(lvl) << 32) | s;
  }
  static std::size_t max_links(const HnswIndex& x, int lvl) { return lvl == 0 ? x.m0_ : x.params_.m; }

  static int level_for(const HnswIndex& x, std::uint32_t id) {
    const std::uint64_t h = splitmix64(x.params_.seed ^ (std::uint64_t(id) * 0xD6E8FEB86659FD93ull));
    const double u = double((h >> 11) + 1) * 0x1p-53;  // (0, 1]
    const double l = -std::log(u) / std::log(double(x.params_.m));
    return static_cast<int>(std::min<double>(l, HnswIndex::kMaxLevel));
  }

  // ---- distances ----
  // Every distance goes through the active kernels (reco/kernels.hpp), which all return the
  // same bits. When those are the header's own (SSE, the baseline), the walk's distance
  // types call them inline, as they always did; otherwise each type carries the one table
  // pointer it needs, read once per search, and a distance is one indirect call (measured
  // in bench/RESULTS.md, "Run-time distance kernels").
  //
  using Pending = HnswPending;
  static const std::uint32_t* payload(const HnswIndex& x, const Pending& p, std::uint32_t s) {
    return s == p.slot ? p.payload : block(x, s) + 1 + x.m0_;
  }
  // Distance (lower is better) between two stored nodes.
  static float node_dist(const HnswIndex& x, std::uint32_t a, std::uint32_t b, const Pending& p = {}) {
    const std::size_t n = x.dim_;
    const bool l2 = x.metric_ == Metric::L2;
    const kernels::Table& k = kernels::active();
    const std::uint32_t* pa = payload(x, p, a);
    const std::uint32_t* pb = payload(x, p, b);
    if (x.params_.quant == HnswQuant::None) {
      const auto* fa = reinterpret_cast<const float*>(pa);
      const auto* fb = reinterpret_cast<const float*>(pb);
      if (k.header_inline) return l2 ? hnsw::l2sq(fa, fb, n) : -hnsw::dot(fa, fb, n);
      return l2 ? k.l2sq(fa, fb, n) : -k.dot(fa, fb, n);
    }
    float sa, sb;
    std::memcpy(&sa, pa + x.payload_words_ - 1, 4);
    std::memcpy(&sb, pb + x.payload_words_ - 1, 4);
    const auto* ca = reinterpret_cast<const std::int8_t*>(pa);
    const auto* cb = reinterpret_cast<const std::int8_t*>(pb);
    if (k.header_inline)
      return l2 ? hnsw::l2sq_qq(ca, sa, cb, sb, n) : -(sa * sb) * hnsw::dot_qq(ca, cb, n);
    return l2 ? k.l2sq_qq(ca, sa, cb, sb, n) : -(sa * sb) * k.dot_qq(ca, cb, n);
  }

  // Query-to-node distances, one type per storage/metric pair so the walk loop inlines them.
  // kInline: call the header kernels (then `fn` is unused), else `fn`.
  template <bool kInline>
  struct FloatIP {
    View v;
    const float* q;
    decltype(kernels::Table::dot) fn;
    float operator()(std::uint32_t s) const {
      const float* p = reinterpret_cast<const float*>(v.block(s) + v.off);
      if constexpr (kInline) return -hnsw::dot(q, p, v.dim);
      return -fn(q, p, v.dim);
    }
  };
  template <bool kInline>
  struct FloatL2 {
    View v;
    const float* q;
    decltype(kernels::Table::l2sq) fn;
    float operator()(std::uint32_t s) const {
      const float* p = reinterpret_cast<const float*>(v.block(s) + v.off);
      if constexpr (kInline) return hnsw::l2sq(q, p, v.dim);
      return fn(q, p, v.dim);
    }
  };
  static float scale_of(const View& v, const std::uint32_t* b) {
    float f;
    std::memcpy(&f, b + v.bw - 1, 4);
    return f;
  }
  template <bool kInline>
  struct Int8IP {
    View v;
    const float* q;
    decltype(kernels::Table::dot_q) fn;
    float operator()(std::uint32_t s) const {
      const std::uint32_t* b = v.block(s);
      const auto* c = reinterpret_cast<const std::int8_t*>(b + v.off);
      if constexpr (kInline) return -scale_of(v, b) * hnsw::dot_q(q, c, v.dim);
      return -scale_of(v, b) * fn(q, c, v.dim);
    }
  };
  template <bool kInline>
  struct Int8L2 {
    View v;
    const float* q;
    decltype(kernels::Table::l2sq_q) fn;
    float operator()(std::uint32_t s) const {
      const std::uint32_t* b = v.block(s);
      const auto* c = reinterpret_cast<const std::int8_t*>(b + v.off);
      if constexpr (kInline) return hnsw::l2sq_q(q, c, scale_of(v, b), v.dim);
      return fn(q, c, scale_of(v, b), v.dim);
    }
  };
  template <bool kInline, class F>
  static decltype(auto) with_dist_as(const HnswIndex& x, const float* q, const kernels::Table& k,
                                     F&& f) {
    const bool l2 = x.metric_ == Metric::L2;
    const View v = view(x);
    if (x.params_.quant == HnswQuant::None) {
      if (l2) return f(FloatL2<kInline>{v, q, k.l2sq});
      return f(FloatIP<kInline>{v, q, k.dot});
    }
    if (l2) return f(Int8L2<kInline>{v, q, k.l2sq_q});
    return f(Int8IP<kInline>{v, q, k.dot_q});
  }
  template <class F>
  static decltype(auto) with_dist(const HnswIndex& x, const float* q, F&& f) {
    const kernels::Table& k = kernels::active();
    if (k.header_inline) return with_dist_as<true>(x, q, k, f);
    return with_dist_as<false>(x, q, k, f);
  }
  // Exact (float) distance of a stored node, for the scan and for re-scoring.
  static float exact_dist(const HnswIndex& x, const float* q, std::uint32_t s) {
    const kernels::Table& k = kernels::active();
    if (x.params_.quant == HnswQuant::Int8 && !x.params_.keep_float) {
      if (k.header_inline)
        return x.metric_ == Metric::L2 ? Int8L2<true>{view(x), q, k.l2sq_q}(s)
                                       : Int8IP<true>{view(x), q, k.dot_q}(s);
      return x.metric_ == Metric::L2 ? Int8L2<false>{view(x), q, k.l2sq_q}(s)
                                     : Int8IP<false>{view(x), q, k.dot_q}(s);
    }
    const float* v = exact_vec(x, s);
    if (k.header_inline)
      return x.metric_ == Metric::L2 ? hnsw::l2sq(q, v, x.dim_) : -hnsw::dot(q, v, x.dim_);
    return x.metric_ == Metric::L2 ? k.l2sq(q, v, x.dim_) : -k.dot(q, v, x.dim_);
  }

  // ---- walks ----
  // How far ahead of the distance being computed a walk requests vectors, in nodes, and
  // how many cache lines of each it requests (past that, the hardware's stream prefetch
  // follows). Measured on 100k x 64 L2 (bench/RESULTS.md): with the next node only, the
  // first load of each vector is the walk's hottest instruction; 3-7 nodes ahead are alike
  // and 20-30% faster.
  static constexpr std::uint32_t kLookahead = 4;
  static constexpr std::size_t kPrefetchLines = 8;
  [[gnu::always_inline]] static void prefetch_vector(const View& v, std::uint32_t s) noexcept {
    const char* p = reinterpret_cast<const char*>(v.block(s) + v.off);
    const std::size_t bytes = std::min(v.vec_bytes, kPrefetchLines * 64);
    for (std::size_t o = 0; o < bytes; o += 64) prefetch(p + o);
    prefetch(p + bytes - 1);  // the last line, when the vector straddles one more
  }

  [[gnu::always_inline]] static void request(const View& v, std::uint32_t s, bool header) noexcept {
    prefetch_vector(v, s);
    if (header) prefetch(v.block(s));
  }

  template <class D>
  static void greedy(const HnswIndex& x, const D& dist, std::uint32_t& cur, float& dcur, int from,
                     int to, std::vector<std::uint64_t>* trace = nullptr) {
    const View v = view(x);
    for (int l = from; l > to; --l) {
      for (bool changed = true; changed;) {
        changed = false;
        if (trace) trace->push_back(list_key(l, cur));
        List ls = links(x, cur, l);
        for (std::uint32_t i = 0; i < ls.count && i < kLookahead; ++i) prefetch_vector(v, ls.links[i]);
        for (std::uint32_t i = 0; i < ls.count; ++i) {
          if (i + kLookahead < ls.count) prefetch_vector(v, ls.links[i + kLookahead]);
          const std::uint32_t n = ls.links[i];
          const float d = dist(n);
          if (d < dcur) {
            dcur = d;
            cur = n;
            changed = true;
          }
        }
      }
    }
  }

  // Best-first walk of level `lvl` from ep. Every reachable node is traversed; only those
  // `allow` accepts enter the result heap (max-heap of at most ef). Leaves the result heap
  // in the thread's WalkScratch::result. `allow_reads_header`: whether `allow` looks at a node's block header
  // (state), which is then prefetched with the vector. `trace`, if given, receives the
  // list_key of every list the walk reads (what a planned insert depends on).
  //
  // An expanded node's links are taken in two passes: the first keeps those not visited
  // yet (their tags are a small array, mostly in cache), the second scores them while the
  // vectors kLookahead places ahead are being fetched. Prefetching by position in the raw
  // link list would spend requests on nodes already visited.
  template <class D, class Allow>
  static void walk(const HnswIndex& x, const D& dist, std::uint32_t ep, float ep_d, int lvl,
                   std::size_t ef, const Allow& allow, bool allow_reads_header = true,
                   std::vector<std::uint64_t>* trace = nullptr) {
    const std::uint64_t seed = pack(ep_d, ep);
    walk(x, dist, std::span<const std::uint64_t>(&seed, 1), lvl, ef, allow, allow_reads_header, trace);
  }

  // The same from several entry points (packed (distance, slot), distinct slots).
  template <class D, class Allow>
  static void walk(const HnswIndex& x, const D& dist, std::span<const std::uint64_t> seeds, int lvl,
                   std::size_t ef, const Allow& allow, bool allow_reads_header = true,
                   std::vector<std::uint64_t>* trace = nullptr) {
    hnsw::WalkScratch& scratch = hnsw::WalkScratch::local();
    auto& cand = scratch.cand;
    auto& res = scratch.result;
    auto& vis = scratch.visited;
    cand.clear();
    res.clear();
    vis.begin(x.slot_count_);
    const auto min_first = std::greater<std::uint64_t>();
    for (const std::uint64_t sd : seeds) {
      vis.mark(slot_of(sd));
      cand.push_back(sd);
      std::push_heap(cand.begin(), cand.end(), min_first);
      if (!allow(slot_of(sd))) continue;
      res.push_back(sd);
      std::push_heap(res.begin(), res.end());
      if (res.size() > ef) {
        std::pop_heap(res.begin(), res.end());
        res.pop_back();
      }
    }
    float bound = res.size() >= ef ? dist_of(res.front()) : std::numeric_limits<float>::infinity();
    const View v = view(x);
    std::uint32_t fresh[kMaxLinks];
    while (!cand.empty()) {
      const std::uint64_t c = cand.front();
      if (dist_of(c) > bound) break;
      std::pop_heap(cand.begin(), cand.end(), min_first);
      cand.pop_back();
      if (trace) trace->push_back(list_key(lvl, slot_of(c)));
      List ls;
      if (lvl == 0) {
        const std::uint32_t* b = v.block(slot_of(c));
        ls = {const_cast<std::uint32_t*>(b + 1), b[0] & 0xffff};
      } else {
        ls = links(x, slot_of(c), lvl);
      }
      std::uint32_t nf = 0;
      for (std::uint32_t i = 0; i < ls.count; ++i) {
        const std::uint32_t n = ls.links[i];
        if (vis.seen(n)) continue;
        vis.mark(n);
        fresh[nf++] = n;
        if (nf <= kLookahead) request(v, n, allow_reads_header);
      }
      for (std::uint32_t i = 0; i < nf; ++i) {
        if (i + kLookahead < nf) request(v, fresh[i + kLookahead], allow_reads_header);
        const std::uint32_t n = fresh[i];
        const float d = dist(n);
        if (res.size() < ef || d < bound) {
          cand.push_back(pack(d, n));
          std::push_heap(cand.begin(), cand.end(), min_first);
          if (allow(n)) {
            res.push_back(pack(d, n));
            std::push_heap(res.begin(), res.end());
            if (res.size() > ef) {
              std::pop_heap(res.begin(), res.end());
              res.pop_back();
            }
            if (res.size() >= ef) bound = dist_of(res.front());
          }
        }
      }
    }
  }

  // The neighbour selection heuristic: scan candidates nearest first and keep one only if
  // it is nearer to the base than to every node kept so far, which keeps links pointing in
  // different directions. `cands` sorted ascending by distance to the base.
  template <class C, class O>
  static void select(const HnswIndex& x, const C& cands, std::size_t m, O& out, bool fill_ip = false,
                     const Pending& pend = {}) {
    out.clear();
    for (std::uint64_t c : cands) {
      if (out.size() >= m) break;
      const float dc = dist_of(c);
      bool keep = true;
      for (std::uint64_t o : out)
        if (node_dist(x, slot_of(c), slot_of(o), pend) < dc) {
          keep = false;
          break;
        }
      if (keep) out.push_back(c);
    }
    // Inner product is not a metric: a few long vectors are "nearer" to everything, the
    // rule above prunes most candidates in their favour, and nodes end with two or three
    // links; recall then plateaus below what any ef can fix, more so after deletes
    // (measured, 20,000 clustered 64-d vectors, a third deleted: 0.953 at ef 64). Under IP
    // a node's own new links fill up to m/2 places with the nearest pruned candidates
    // (0.981 there; filling to m gave 0.995 but built 1.26x slower than hnswlib; pruning a
    // full list keeps the plain rule).
    const std::size_t fill_to = std::min(m, x.params_.m / 2);
    if (fill_ip && x.metric_ == Metric::InnerProduct && out.size() < fill_to &&
        out.size() < cands.size()) {
      const std::size_t kept = out.size();
      for (std::uint64_t c : cands) {
        if (out.size() >= fill_to) break;
        if (std::find(out.begin(), out.begin() + kept, c) == out.begin() + kept) out.push_back(c);
      }
    }
  }

  static void write_links(HnswIndex& x, std::uint32_t s, int lvl, const Vec<std::uint64_t>& sel) {
    List ls = links(x, s, lvl);
    for (std::size_t i = 0; i < sel.size(); ++i) ls.links[i] = slot_of(sel[i]);
    set_count(x, s, lvl, static_cast<std::uint32_t>(sel.size()));
  }

  // Re-chooses y's links on `lvl` among its current live links and `extra`.
  static void repair(HnswIndex& x, std::uint32_t y, int lvl, const std::uint32_t* extra,
                     std::size_t n_extra, Vec<std::uint32_t>& ids, Vec<std::uint64_t>& tmp,
                     Vec<std::uint64_t>& sel) {
    List ls = links(x, y, lvl);
    ids.assign(ls.links, ls.links + ls.count);
    ids.insert(ids.end(), extra, extra + n_extra);
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
    tmp.clear();
    for (std::uint32_t c : ids)
      if (c != y && state(x, c) == kLive && level(x, c) >= lvl)
        tmp.push_back(pack(node_dist(x, y, c), c));
    std::sort(tmp.begin(), tmp.end());
    select(x, tmp, max_links(x, lvl), sel, true);
    write_links(x, y, lvl, sel);
  }

  // ---- inserts in two steps (hnsw_insert.cpp) ----
  // The node's level and stored payload, from its (normalised) vector.
  static void prepare(const HnswIndex& x, std::uint32_t s, const float* q, HnswInsertPlan& p);
  // Every link the insert of p.slot will write, read-only on the graph. With p.prepared
  // the node's block is already in place (a re-set in place, on the writer's thread).
  static void plan_links(const HnswIndex& x, HnswInsertPlan& p, const float* q);
  // Whether p still describes exactly what planning the insert now, into `slot`, would.
  static bool plan_valid(const HnswIndex& x, const HnswInsertPlan& p, std::uint32_t slot);
  // Writes the node (unless prepared) and the planned links, into `slot`.
  static void apply_links(HnswIndex& x, const HnswInsertPlan& p, std::uint32_t slot);

  // Highest-level live node (smallest slot on ties) becomes the entry point.
  static void choose_entry(HnswIndex& x) {
    int best_level = -1;
    std::uint32_t best = 0;
    for (const auto& [s, lists] : x.upper_) {
      if (state(x, s) != kLive) continue;
      const int l = level(x, s);
      if (l > best_level || (l == best_level && s < best)) {
        best_level = l;
        best = s;
      }
    }
    if (best_level < 0) {
      for (std::uint32_t s = 0; s < x.slot_count_; ++s)
        if (state(x, s) == kLive) {
          best_level = 0;
          best = s;
          break;
        }
    }
    x.entry_ = best_level < 0 ? 0 : best;
    x.max_level_ = best_level;
  }
};

}  // namespace reco
