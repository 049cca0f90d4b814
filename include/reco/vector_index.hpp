// The interface every vector index of a catalog implements.
//
// The catalog owns item ids and vectors' meaning; an index only maps dense ids to vectors
// and answers filtered k-nearest queries in "higher is better" scores (see metric.hpp).
// Two implementations: the exact FlatIndex and the approximate HnswIndex; the catalog, the
// recall sources and the glue see only this interface, and persistence goes through
// save() / load_vector_index(), whose payload starts with a kind tag so a catalog can be
// saved with one index kind and reloaded without knowing which.
#pragma once

#include "reco/memory.hpp"

#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "reco/item_filter.hpp"
#include "reco/metric.hpp"
#include "reco/top_k.hpp"

namespace reco {

class ByteSink;  // codec.hpp
class ByteSource;

// Per-query knobs of an approximate search; an exact index ignores them.
struct SearchParams {
  std::size_t ef = 0;  // candidate list length of a graph walk; 0 = the index default
  bool exact = false;  // scan every allowed vector instead of walking (small catalogs)
};

// Kind tags leading a saved index payload.
enum class VectorIndexKind : std::uint64_t { Flat = 1, Hnsw = 2 };

// What an index did since it was built or loaded (INFO reco): graph searches answered by an
// exact scan because the filter left few items (the switch of HnswIndex::prefers_exact_scan),
// and sweeps of deleted nodes out of a graph. Not persisted.
// Inserts linked from a plan made ahead (VectorIndex::apply_plan), and plans found stale
// at apply, whose insert was then linked by the writer itself.
struct IndexCounters {
  std::uint64_t exact_fallbacks = 0;
  std::uint64_t sweeps = 0;
  std::uint64_t inserts_planned = 0;
  std::uint64_t plans_stale = 0;
};

// The costly, read-only part of a set(), done ahead of the write: for a graph, the
// neighbour searches that choose a new node's links. Opaque outside its index.
class VectorInsertPlan {
 public:
  RECO_HOOK_ALLOCATED
 public:
  virtual ~VectorInsertPlan() = default;
};

class VectorIndex {
 public:
  RECO_HOOK_ALLOCATED
 public:
  virtual ~VectorIndex() = default;

  virtual std::string_view kind() const noexcept = 0;
  virtual std::size_t dim() const noexcept = 0;
  virtual Metric metric() const noexcept = 0;
  virtual std::size_t size() const noexcept = 0;  // ids holding a vector

  // Insert or replace the vector of dense id `id` (v.size() == dim(), finite: checked by
  // the caller). `stored_form`: v came from get()/read() (e.g. a reload) and must be kept
  // bit-exact rather than normalised again, so that a reloaded or replicated index
  // scores exactly as the original.
  virtual void set(std::uint32_t id, std::span<const float> v, bool stored_form = false) = 0;
  virtual void remove(std::uint32_t id) = 0;
  // Takes now the bulk growth steps that set() of ids below `ids` would take, so that a
  // write can make its large allocations before its first change (reco/memory.hpp).
  virtual void reserve(std::size_t /*ids*/) {}
  // Inserts in two steps, so that the costly part can run on another thread, concurrently
  // with other readers, and the write itself is short. plan_set is const (any thread, no
  // writer running); nullptr when the index gains nothing from a plan (or cannot plan
  // this id). apply_plan, by the writer, does what set(id, v) would do now and returns
  // true, or changes nothing and returns false when the plan no longer matches the index
  // (the caller then calls set()). Applied or redone, the index ends up the same.
  virtual bool plans_inserts() const noexcept { return false; }
  virtual std::unique_ptr<VectorInsertPlan> plan_set(std::uint32_t /*id*/,
                                                     std::span<const float> /*v*/) const {
    return nullptr;
  }
  virtual bool apply_plan(std::uint32_t /*id*/, const VectorInsertPlan& /*plan*/) { return false; }
  virtual bool contains(std::uint32_t id) const noexcept = 0;
  // The vector as stored (unit length under COSINE); empty span if absent, and also empty
  // when the index keeps no float copy (int8-only storage): use read() there.
  virtual std::span<const float> get(std::uint32_t id) const noexcept = 0;
  // Writes the vector as stored (dequantised if the index keeps only a compressed form)
  // into `out`; false, leaving `out` untouched, if the id is absent or out.size() != dim().
  virtual bool read(std::uint32_t id, std::span<float> out) const noexcept = 0;

  // The k best ids for `query` that `filter` allows, best first; fewer only when fewer
  // than k allowed ids exist.
  virtual std::vector<Hit> search(std::span<const float> query, std::size_t k,
                                  const ItemFilter& filter,
                                  const SearchParams& params = {}) const = 0;

  virtual std::size_t memory_bytes() const noexcept = 0;
  virtual IndexCounters counters() const noexcept { return {}; }

  // The whole index, kind tag first (see load_vector_index).
  virtual void save(ByteSink& out) const = 0;
};

// Reads what VectorIndex::save wrote, whatever the kind, without rebuilding anything.
// Validates every count, id, link and value against the input and throws reco::Error on a
// truncated, corrupt or foreign payload (or a dimension/metric other than expected).
// max_ids: the ids the index may hold (a catalog passes its slot count); a payload claiming
// more is refused before anything is sized from it.
std::unique_ptr<VectorIndex> load_vector_index(ByteSource& in, std::size_t dim, Metric metric,
                                               std::uint64_t max_ids = UINT64_MAX);

}  // namespace reco
