// HNSW graph index (see reco/hnsw_index.hpp for the shape and the reasons).
//
// Level-0 block of a slot, in 32-bit words:
//   [0]            header: link count (bits 0-15), level (16-23), state (24-31)
//   [1 .. 1+m0)    links (slots)
//   [1+m0 ..)      vector: dim floats, or ceil(dim/4) words of int8 codes + 1 word scale
// Walk heaps hold (distance, slot) packed into one u64 whose integer order is the order of
// the distance (then of the slot): comparisons are single integer compares, ties break
// toward the smaller id as everywhere in reco, and a NaN can not break the heap.
//
// Saved form (after the kind tag): format version, dim, metric, params, slot count, live
// and tombstone counts, entry point, top level + 1, then the slots in chunks of
// kSaveChunk, each chunk one byte string holding per slot: state byte, and for a node:
// level byte, level-0 count (u16) and links (u32 each), each upper level's count and
// links, the stored vector (f32 or int8 codes + f32 scale) and, with keep_float, the floats.
// Little-endian throughout. Load checks each field as it is read and the graph as a whole
// afterwards (links point at nodes that exist on that level, levels match the seed, counts
// add up, entry point is a live top-level node, values are finite) before it is used.
#include "reco/hnsw_index.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
#include <limits>
#include <string>

#include "reco/codec.hpp"
#include "reco/error.hpp"
#include "reco/hnsw_distance.hpp"
#include "reco/hnsw_quantizer.hpp"
#include "reco/kernels.hpp"

// The kernels' 32-byte vector helpers are inlined; GCC's AVX argument-passing note is moot.
#pragma GCC diagnostic ignored "-Wpsabi"

namespace reco {
namespace {

constexpr std::uint32_t kFree = 0, kLive = 1, kTomb = 2;
constexpr std::size_t kSaveChunk = 1024;
// Tombstones are swept when they reach this many and 1/kSweepDivisor of the live nodes:
// the sweep reads every link once, so its cost per delete stays constant.
constexpr std::size_t kSweepMin = 64;
constexpr std::size_t kSweepDivisor = 16;

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

// Bounds-checked reader of one saved chunk.
struct Cursor {
  const std::string& s;
  std::size_t pos = 0;
  void need(std::size_t n) const {
    if (s.size() - pos < n) throw Error("corrupt hnsw index: truncated chunk");
  }
  std::uint32_t u(int bytes) {
    need(bytes);
    std::uint32_t v = 0;
    for (int b = 0; b < bytes; ++b)
      v |= std::uint32_t(static_cast<unsigned char>(s[pos + b])) << (8 * b);
    pos += bytes;
    return v;
  }
  float f32() {
    std::uint32_t b = u(4);
    float f;
    std::memcpy(&f, &b, 4);
    if (!std::isfinite(f)) throw Error("corrupt hnsw index: vector value");
    return f;
  }
};

void put_le(std::string& out, std::uint32_t v, int bytes) {
  for (int b = 0; b < bytes; ++b) out.push_back(static_cast<char>(v >> (8 * b)));
}
void put_f32(std::string& out, float f) {
  std::uint32_t b;
  std::memcpy(&b, &f, 4);
  put_le(out, b, 4);
}

}  // namespace

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
  // Makes slots [0, need) exist (new ones free).
  static void grow(HnswIndex& x, std::size_t need) {
    if (need <= x.slot_count_) return;
    while ((x.pages_.size() << x.page_shift_) < need) {
      x.pages_.emplace_back();
      x.pages_.back().assign(x.block_words_ << x.page_shift_, 0);
      x.page_ptrs_.push_back(x.pages_.back().data());
    }
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
  // Distance (lower is better) between two stored nodes.
  static float node_dist(const HnswIndex& x, std::uint32_t a, std::uint32_t b) {
    const std::size_t n = x.dim_;
    const bool l2 = x.metric_ == Metric::L2;
    const kernels::Table& k = kernels::active();
    if (x.params_.quant == HnswQuant::None) {
      if (k.header_inline)
        return l2 ? hnsw::l2sq(fvec(x, a), fvec(x, b), n) : -hnsw::dot(fvec(x, a), fvec(x, b), n);
      return l2 ? k.l2sq(fvec(x, a), fvec(x, b), n) : -k.dot(fvec(x, a), fvec(x, b), n);
    }
    const float sa = scale(x, a), sb = scale(x, b);
    if (k.header_inline)
      return l2 ? hnsw::l2sq_qq(codes(x, a), sa, codes(x, b), sb, n)
                : -(sa * sb) * hnsw::dot_qq(codes(x, a), codes(x, b), n);
    return l2 ? k.l2sq_qq(codes(x, a), sa, codes(x, b), sb, n)
              : -(sa * sb) * k.dot_qq(codes(x, a), codes(x, b), n);
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
                     int to) {
    const View v = view(x);
    for (int l = from; l > to; --l) {
      for (bool changed = true; changed;) {
        changed = false;
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
  // (state), which is then prefetched with the vector.
  //
  // An expanded node's links are taken in two passes: the first keeps those not visited
  // yet (their tags are a small array, mostly in cache), the second scores them while the
  // vectors kLookahead places ahead are being fetched. Prefetching by position in the raw
  // link list would spend requests on nodes already visited.
  template <class D, class Allow>
  static void walk(const HnswIndex& x, const D& dist, std::uint32_t ep, float ep_d, int lvl,
                   std::size_t ef, const Allow& allow, bool allow_reads_header = true) {
    const std::uint64_t seed = pack(ep_d, ep);
    walk(x, dist, std::span<const std::uint64_t>(&seed, 1), lvl, ef, allow, allow_reads_header);
  }

  // The same from several entry points (packed (distance, slot), distinct slots).
  template <class D, class Allow>
  static void walk(const HnswIndex& x, const D& dist, std::span<const std::uint64_t> seeds, int lvl,
                   std::size_t ef, const Allow& allow, bool allow_reads_header = true) {
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
  static void select(const HnswIndex& x, const Vec<std::uint64_t>& cands, std::size_t m,
                     Vec<std::uint64_t>& out, bool fill_ip = false) {
    out.clear();
    for (std::uint64_t c : cands) {
      if (out.size() >= m) break;
      const float dc = dist_of(c);
      bool keep = true;
      for (std::uint64_t o : out)
        if (node_dist(x, slot_of(c), slot_of(o)) < dc) {
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

  // Link s -> n (n newly inserted, at distance d from s); prune s's list if full.
  static void add_link(HnswIndex& x, std::uint32_t s, std::uint32_t n, float d, int lvl,
                       Vec<std::uint64_t>& tmp, Vec<std::uint64_t>& sel) {
    List ls = links(x, s, lvl);
    for (std::uint32_t i = 0; i < ls.count; ++i)
      if (ls.links[i] == n) return;
    if (ls.count < max_links(x, lvl)) {
      ls.links[ls.count] = n;
      set_count(x, s, lvl, ls.count + 1);
      return;
    }
    tmp.clear();
    tmp.push_back(pack(d, n));
    for (std::uint32_t i = 0; i < ls.count; ++i) {
      const std::uint32_t o = ls.links[i];
      if (state(x, o) == kLive) tmp.push_back(pack(node_dist(x, s, o), o));
    }
    std::sort(tmp.begin(), tmp.end());
    select(x, tmp, max_links(x, lvl), sel);
    write_links(x, s, lvl, sel);
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

  // Links a node whose block (state live, level, vector, zero counts) is written.
  static void insert(HnswIndex& x, std::uint32_t s, const float* q) {
    const int L = level(x, s);
    if (x.max_level_ < 0) {
      x.entry_ = s;
      x.max_level_ = L;
      return;
    }
    Vec<std::uint64_t> cands, sel, tmp, tmp_sel;
    with_dist(x, q, [&](const auto& dist) {
      std::uint32_t ep = x.entry_;
      float d = dist(ep);
      greedy(x, dist, ep, d, x.max_level_, L);
      auto allow = [v = view(x), s](std::uint32_t n) { return n != s && v.state(n) == kLive; };
      for (int l = std::min(L, x.max_level_); l >= 0; --l) {
        walk(x, dist, ep, d, l, x.params_.ef_construction, allow);
        const auto& found = hnsw::WalkScratch::local().result;
        cands.assign(found.begin(), found.end());
        if (cands.empty()) continue;
        std::sort(cands.begin(), cands.end());
        ep = slot_of(cands[0]);
        d = dist_of(cands[0]);
        select(x, cands, x.params_.m, sel, true);
        write_links(x, s, l, sel);
        for (std::uint64_t c : sel) add_link(x, slot_of(c), s, dist_of(c), l, tmp, tmp_sel);
      }
      return 0;
    });
    if (L > x.max_level_) {
      x.entry_ = s;
      x.max_level_ = L;
    }
  }

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

  Impl::grow(*this, std::size_t(id) + 1);
  if (Impl::state(*this, id) == kLive) remove(id);  // an update relinks the node

  std::uint32_t* b = Impl::block(*this, id);
  int L;
  if (Impl::state(*this, id) == kTomb) {
    // Back in place: same level (level_for(id)), so links still pointing here stay valid.
    L = Impl::level(*this, id);
    --tomb_count_;
  } else {
    L = Impl::level_for(*this, id);
    if (L > 0) upper_[id].assign(std::size_t(L) * (params_.m + 1), 0);
  }
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
  Impl::insert(*this, id, q.data());
}

void HnswIndex::remove(std::uint32_t id) {
  if (!contains(id)) return;
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
  if (tomb_count_ >= std::max(kSweepMin, live_count_ / kSweepDivisor)) sweep();
}

void HnswIndex::sweep() {
  if (tomb_count_ == 0) return;
  ++sweeps_;
  Vec<std::uint8_t> tomb(slot_count_, 0);
  for (std::uint32_t s = 0; s < slot_count_; ++s) tomb[s] = Impl::state(*this, s) == kTomb;
  Vec<std::uint32_t> extra, ids;
  Vec<std::uint64_t> tmp, sel;
  for (std::uint32_t y = 0; y < slot_count_; ++y) {
    if (Impl::state(*this, y) != kLive) continue;
    const int L = Impl::level(*this, y);
    for (int l = 0; l <= L; ++l) {
      Impl::List ly = Impl::links(*this, y, l);
      extra.clear();
      bool hit = false;
      for (std::uint32_t i = 0; i < ly.count; ++i) {
        const std::uint32_t t = ly.links[i];
        if (!tomb[t]) continue;
        hit = true;
        Impl::List lt = Impl::links(*this, t, l);
        extra.insert(extra.end(), lt.links, lt.links + lt.count);
      }
      if (hit) Impl::repair(*this, y, l, extra.data(), extra.size(), ids, tmp, sel);
    }
  }
  for (std::uint32_t s = 0; s < slot_count_; ++s) {
    if (!tomb[s]) continue;
    Impl::block(*this, s)[0] = 0;
    upper_.erase(s);
  }
  tomb_count_ = 0;
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
                      upper_.bucket_count() * sizeof(void*);
  for (const auto& page : pages_) bytes += heap_bytes(page);
  for (const auto& [s, lists] : upper_) bytes += kNode + heap_bytes(lists);
  return bytes;
}

std::size_t HnswIndex::upper_lists() const noexcept {
  std::size_t n = 0;
  for (const auto& [s, lists] : upper_) n += std::size_t(Impl::level(*this, s));
  return n;
}

void HnswIndex::save(ByteSink& out) const {
  out.put_u64(static_cast<std::uint64_t>(VectorIndexKind::Hnsw));
  out.put_u64(kFormatVersion);
  out.put_u64(dim_);
  out.put_u64(static_cast<std::uint64_t>(metric_));
  out.put_u64(params_.m);
  out.put_u64(params_.m0);
  out.put_u64(params_.ef_construction);
  out.put_u64(params_.ef_search);
  out.put_u64(params_.seed);
  out.put_u64(static_cast<std::uint64_t>(params_.quant));
  out.put_u64(params_.keep_float ? 1 : 0);
  out.put_u64(slot_count_);
  out.put_u64(live_count_);
  out.put_u64(tomb_count_);
  out.put_u64(entry_);
  out.put_u64(static_cast<std::uint64_t>(max_level_ + 1));
  std::string chunk;
  for (std::size_t start = 0; start < slot_count_; start += kSaveChunk) {
    chunk.clear();
    for (std::uint32_t s = start; s < std::min(slot_count_, start + kSaveChunk); ++s) {
      const std::uint32_t st = Impl::state(*this, s);
      chunk.push_back(static_cast<char>(st));
      if (st == kFree) continue;
      const int L = Impl::level(*this, s);
      chunk.push_back(static_cast<char>(L));
      for (int l = 0; l <= L; ++l) {
        Impl::List ls = Impl::links(*this, s, l);
        put_le(chunk, ls.count, 2);
        for (std::uint32_t i = 0; i < ls.count; ++i) put_le(chunk, ls.links[i], 4);
      }
      if (params_.quant == HnswQuant::None) {
        const float* v = Impl::fvec(*this, s);
        for (std::size_t i = 0; i < dim_; ++i) put_f32(chunk, v[i]);
      } else {
        chunk.append(reinterpret_cast<const char*>(Impl::codes(*this, s)), dim_);
        put_f32(chunk, Impl::scale(*this, s));
        if (params_.keep_float) {
          const float* v = Impl::exact_vec(*this, s);
          for (std::size_t i = 0; i < dim_; ++i) put_f32(chunk, v[i]);
        }
      }
    }
    out.put_bytes(chunk);
  }
}

std::unique_ptr<HnswIndex> HnswIndex::load(ByteSource& in, std::size_t dim, Metric metric) {
  if (in.get_u64() != static_cast<std::uint64_t>(VectorIndexKind::Hnsw))
    throw Error("corrupt vector index: not an hnsw index");
  return load_body(in, dim, metric, UINT64_MAX);
}

std::unique_ptr<HnswIndex> HnswIndex::load_body(ByteSource& in, std::size_t dim, Metric metric,
                                                std::uint64_t max_ids) {
  const std::uint64_t version = in.get_u64();
  if (version < 1 || version > kFormatVersion)
    throw Error("unsupported hnsw index format " + std::to_string(version));
  if (in.get_u64() != dim || in.get_u64() != static_cast<std::uint64_t>(metric))
    throw Error("hnsw index dimension or metric does not match the catalog");
  HnswParams p;
  const std::uint64_t m = in.get_u64(), m0 = in.get_u64(), efc = in.get_u64(), efs = in.get_u64();
  p.seed = in.get_u64();
  const std::uint64_t quant = in.get_u64(), keep = in.get_u64();
  if (m < 2 || m > 128 || m0 < 2 || m0 > kMaxLinks || efc < 1 || efc > 100000 || efs < 1 ||
      efs > 100000 || quant > 1 || keep > 1 || (quant == 0 && keep == 1))
    throw Error("corrupt hnsw index parameters");
  p.m = m;
  p.m0 = m0;
  p.ef_construction = efc;
  p.ef_search = efs;
  p.quant = static_cast<HnswQuant>(quant);
  p.keep_float = keep == 1;
  auto ix = std::make_unique<HnswIndex>(dim, metric, p);
  HnswIndex& x = *ix;

  const std::uint64_t slots = in.get_u64(), live = in.get_u64(), tombs = in.get_u64();
  const std::uint64_t entry = in.get_u64(), top = in.get_u64();
  if (slots >= UINT32_MAX || slots > max_ids || live > slots || tombs > slots - live || top > kMaxLevel + 1 ||
      (live == 0) != (top == 0) || (live > 0 && entry >= slots))
    throw Error("corrupt hnsw index header");

  // Slots grow as chunks arrive: memory follows the input actually read.
  std::size_t n_live = 0, n_tomb = 0;
  for (std::uint64_t start = 0; start < slots; start += kSaveChunk) {
    in.yield_point();
    const std::string chunk = in.get_bytes();
    Cursor cur{chunk};
    // Slots are sized only once their chunk has arrived, and a chunk holds at least one
    // byte per slot it covers: what is allocated follows what was read.
    if (chunk.size() < std::min<std::uint64_t>(slots, start + kSaveChunk) - start)
      throw Error("corrupt hnsw index: truncated chunk");
    const std::size_t end = std::min<std::uint64_t>(slots, start + kSaveChunk);
    Impl::grow(x, end);
    for (std::uint32_t s = static_cast<std::uint32_t>(start); s < end; ++s) {
      const std::uint32_t st = cur.u(1);
      if (st == kFree) continue;
      if (st != kLive && st != kTomb) throw Error("corrupt hnsw index: node state");
      (st == kLive ? n_live : n_tomb)++;
      const int L = static_cast<int>(cur.u(1));
      if (L != Impl::level_for(x, s)) throw Error("corrupt hnsw index: node level");
      std::uint32_t* b = Impl::block(x, s);
      b[0] = (st << 24) | (std::uint32_t(L) << 16);
      if (L > 0) x.upper_[s].assign(std::size_t(L) * (p.m + 1), 0);
      for (int l = 0; l <= L; ++l) {
        const std::uint32_t c = cur.u(2);
        if (c > Impl::max_links(x, l)) throw Error("corrupt hnsw index: link count");
        Impl::List ls = Impl::links(x, s, l);
        for (std::uint32_t i = 0; i < c; ++i) {
          const std::uint32_t t = cur.u(4);
          if (t >= slots || t == s) throw Error("corrupt hnsw index: link target");
          ls.links[i] = t;
        }
        Impl::set_count(x, s, l, c);
      }
      if (p.quant == HnswQuant::None) {
        float* v = reinterpret_cast<float*>(b + 1 + x.m0_);
        for (std::size_t i = 0; i < dim; ++i) v[i] = cur.f32();
      } else {
        cur.need(dim);
        std::memcpy(b + 1 + x.m0_, chunk.data() + cur.pos, dim);
        cur.pos += dim;
        const float sc = cur.f32();
        if (sc < 0) throw Error("corrupt hnsw index: scale");
        std::memcpy(b + x.block_words_ - 1, &sc, 4);
        if (p.keep_float)
          for (std::size_t i = 0; i < dim; ++i) x.floats_[std::size_t(s) * dim + i] = cur.f32();
      }
    }
    if (cur.pos != chunk.size()) throw Error("corrupt hnsw index: chunk size");
  }
  if (n_live != live || n_tomb != tombs) throw Error("corrupt hnsw index: node counts");
  // Every link must reach a node (live or tombstone) present on that level.
  for (std::uint32_t s = 0; s < x.slot_count_; ++s) {
    if (Impl::state(x, s) == kFree) continue;
    for (int l = 0, L = Impl::level(x, s); l <= L; ++l) {
      Impl::List ls = Impl::links(x, s, l);
      for (std::uint32_t i = 0; i < ls.count; ++i) {
        const std::uint32_t t = ls.links[i];
        if (Impl::state(x, t) == kFree || Impl::level(x, t) < l)
          throw Error("corrupt hnsw index: dangling link");
      }
    }
  }
  x.live_count_ = n_live;
  x.tomb_count_ = n_tomb;
  if (live > 0) {
    const auto e = static_cast<std::uint32_t>(entry);
    if (Impl::state(x, e) != kLive || Impl::level(x, e) != int(top) - 1)
      throw Error("corrupt hnsw index: entry point");
    for (const auto& [s, lists] : x.upper_)
      if (Impl::state(x, s) == kLive && Impl::level(x, s) > int(top) - 1)
        throw Error("corrupt hnsw index: entry point below the top level");
    x.entry_ = e;
    x.max_level_ = int(top) - 1;
  }
  return ix;
}

}  // namespace reco
