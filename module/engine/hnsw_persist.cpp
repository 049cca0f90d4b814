// The saved form of an HNSW graph index (VectorIndex::save / load_vector_index).
//
// Saved form (after the kind tag): format version, dim, metric, params, slot count, live
// and tombstone counts, entry point, top level + 1, (version 2:) whether a sweep runs, its
// cursor, end and part size, then the slots in chunks of
// kSaveChunk, each chunk one byte string holding per slot: state byte, and for a node:
// level byte, level-0 count (u16) and links (u32 each), each upper level's count and
// links, the stored vector (f32 or int8 codes + f32 scale) and, with keep_float, the floats.
// Little-endian throughout. Load checks each field as it is read and the graph as a whole
// afterwards (links point at nodes that exist on that level, levels match the seed, counts
// add up, entry point is a live top-level node, values are finite) before it is used.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>

#include "hnsw/hnsw_graph.hpp"
#include "reco/codec.hpp"

namespace reco {
namespace {

constexpr std::size_t kSaveChunk = 1024;

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
  out.put_u64(sweeping_ ? 1 : 0);
  out.put_u64(sweep_cursor_);
  out.put_u64(sweep_end_);
  out.put_u64(sweep_part_);
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
  std::uint64_t sweeping = 0, cursor = 0, sweep_end = 0, part = 0;
  if (version >= 2) {
    sweeping = in.get_u64();
    cursor = in.get_u64();
    sweep_end = in.get_u64();
    part = in.get_u64();
    if (sweeping > 1 || sweep_end > slots || cursor > sweep_end || part > sweep_end ||
        (sweeping == 0 && (cursor || sweep_end || part)) || (sweeping == 1 && (cursor == sweep_end || part == 0)))
      throw Error("corrupt hnsw index: sweep state");
  }

  // Slots grow as chunks arrive: memory follows the input actually read.
  std::size_t n_live = 0, n_tomb = 0, n_sweep = 0;
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
      if (st != kLive && st != kTomb && !(st == kSweep && sweeping)) throw Error("corrupt hnsw index: node state");
      (st == kLive ? n_live : st == kTomb ? n_tomb : n_sweep)++;
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
  if (n_live != live || n_tomb + n_sweep != tombs || (sweeping && n_sweep == 0))
    throw Error("corrupt hnsw index: node counts");
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
  x.tomb_count_ = n_tomb + n_sweep;
  // The sweep goes on where it stood; which slots it and the next one take follows from
  // the states (the order of these lists does not matter).
  x.pending_tombs_.reserve(n_tomb);
  x.swept_out_.reserve(n_sweep);
  for (std::uint32_t s = 0; s < x.slot_count_; ++s) {
    const std::uint32_t st = Impl::state(x, s);
    if (st == kTomb) x.pending_tombs_.push_back(s);
    if (st == kSweep) x.swept_out_.push_back(s);
  }
  x.sweeping_ = sweeping == 1;
  x.sweep_cursor_ = static_cast<std::uint32_t>(cursor);
  x.sweep_end_ = static_cast<std::uint32_t>(sweep_end);
  x.sweep_part_ = static_cast<std::uint32_t>(part);
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
