// Approximate k-nearest search over a hierarchical navigable small-world graph (HNSW).
//
// Shape, and why:
// - A graph slot IS the catalog's dense id. Ids are dense and reused by the catalog, so no
//   label array or id->slot map is needed (hnswlib spends 8 bytes a vector on labels), and
//   deleting and re-adding an id reuses its memory.
// - Level 0, where a walk spends its time, is an array (in pages) of fixed-size blocks,
//   one per slot: a 4-byte header (link count, level, state), m0 links, then the vector
//   (floats, or int8 codes + scale). A hop reads one block; a walk requests the blocks of
//   the next few unvisited neighbours while it scores the current one.
//   Upper levels (1/m of the nodes) live in a hash map of small arrays.
// - A node's level is a hash of (seed, id): the same inserts give the same graph on every
//   node of a cluster, and after a reload, with no generator state to persist.
// - Delete is real. The node's neighbours drop their link to it and are reconnected from
//   its own neighbour list with the selection heuristic. Links are directed, so a few other
//   nodes may still point at it: the node stays as a tombstone (walked through, never
//   returned) until a sweep, started once tombstones reach a fraction of the index, removes
//   those remaining links and frees the node (its upper levels' memory; its level-0 block
//   is reused when the catalog reuses the id). A list that lost only a few links just drops
//   them (a subset of a pruned list is still diverse); one that lost more than a quarter is
//   re-pruned with the dead nodes' neighbours as candidates. The sweep is incremental: it
//   takes the tombstones of its start (state kSweep) and goes over the slots that existed
//   then in equal parts, one part per delete (as many parts as half its tombstones, so a
//   part is a few dozen nodes whatever the graph's size), so no write pays for the whole
//   graph; tombstones made meanwhile wait for the next sweep. Its progress (cursor, end,
//   part size) is saved with the graph, so a replica or a reload continues it exactly.
//   Re-setting a tombstoned id brings the node back in place (same level), so a link still
//   pointing at it is valid again.
// - An insert is planned, then applied (hnsw_insert.cpp): the plan holds every link the
//   insert writes and the key of every list it read to choose them; applying it writes
//   those links. set() does both at once. plan_set() lets the searches run on another
//   thread while the graph serves queries; apply_plan() then takes microseconds, and
//   checks first that no change made since the plan touched a list the plan read (a
//   change log of the last kChangeLog inserts): the graph is then exactly what planning
//   the insert now would give, so a graph built from plans equals the graph built by
//   set() from the same writes in the same order (replicas, AOF replay, reloads).
// - Filters act inside the walk: a disallowed node is traversed but never enters the
//   result list, so k allowed results come back whenever the walk can reach them. When the
//   filter leaves few items (see kExactScan*), an exact scan of the allowed ids is cheaper
//   than a walk that must skip almost everything; a walk that still comes back short falls
//   back to the scan too.
// - Search is const and writes nothing in the index: its scratch (visited tags, heaps) is
//   per thread (see hnsw_visited.hpp), so any number of threads may search at once while
//   no thread writes (see reco/serving/shared_catalog.hpp).
#pragma once

#include <array>
#include <atomic>

#include <cstdint>
#include <memory>

#include "reco/hnsw_visited.hpp"
#include "reco/memory.hpp"
#include "reco/vector_index.hpp"

namespace reco {

enum class HnswQuant : std::uint8_t { None = 0, Int8 = 1 };

struct HnswParams {
  std::size_t m = 16;                 // links per node on upper levels
  std::size_t m0 = 0;                 // links on level 0; 0 = 2*m (float) or m (int8)
  std::size_t ef_construction = 200;  // candidate list length while linking a new node
  std::size_t ef_search = 0;          // default per-query ef; 0 = kDefaultEfSearch(Int8)
  std::uint64_t seed = 0x5eed;        // level assignment
  HnswQuant quant = HnswQuant::None;
  bool keep_float = false;            // int8 only: also keep floats, re-score exactly
};

class HnswIndex final : public VectorIndex {
 public:
  // 2: the sweep's progress and kSweep nodes (1 still loads).
  static constexpr std::uint64_t kFormatVersion = 2;
  // Default ef: on 20,000 clustered 64-d vectors at m=16 (tests/unit/hnsw_index_test.cpp)
  // ef=24-32 already reaches recall@10 0.95-0.97; 64 keeps >= 0.98 for every metric, also
  // after deleting a third of the items and under filters that keep 10% of them.
  static constexpr std::size_t kDefaultEfSearch = 64;
  // int8 graphs use m0 = m and approximate distances, so they need a longer list
  // (recall@10 0.98 at 128 on the same data).
  static constexpr std::size_t kDefaultEfSearchInt8 = 128;
  // Exact-scan switch (see prefers_exact_scan). A walk that keeps a fraction p of the nodes
  // visits about ef/p of them to fill its list; a scan costs one distance per allowed id
  // with an allow-list, one per live id without (plus the filter's own checks). So without
  // an allow-list the crossover is at a fixed number of allowed items, c1 * ef, and with
  // one at sqrt(c2 * ef * size()). Measured on clustered 64-d vectors, L2, k=10
  // (n = 5,000 and 20,000; ef = 64 and 128): c1 ~ 27-31, c2 ~ 20. The constants sit a
  // little below, since a scan's cost is also the more predictable of the two.
  static constexpr std::size_t kExactScanPerEf = 24;
  static constexpr std::size_t kExactScanAllowListFactor = 16;
  // True when a query whose filter lets about `allowed` of `live` items through should scan
  // them exactly rather than walk the graph with list length `ef`.
  static bool prefers_exact_scan(std::size_t allowed, bool has_allowlist, std::size_t ef,
                                 std::size_t live) noexcept;
  static constexpr std::size_t kMaxLevel = 15;
  static constexpr std::size_t kMaxLinks = 1024;  // bound on m0 (and m): a walk's stack buffer
  // A query's beam on the upper levels is ef / 8 long, at most this (hnsw_index.cpp, search).
  static constexpr std::size_t kUpperEf = 32;

  HnswIndex(std::size_t dim, Metric metric, const HnswParams& params = {});
  ~HnswIndex() override;
  HnswIndex(const HnswIndex&) = delete;  // copy through save/load
  HnswIndex& operator=(const HnswIndex&) = delete;

  std::string_view kind() const noexcept override { return "hnsw"; }
  std::size_t dim() const noexcept override { return dim_; }
  Metric metric() const noexcept override { return metric_; }
  std::size_t size() const noexcept override { return live_count_; }
  const HnswParams& params() const noexcept { return params_; }

  void set(std::uint32_t id, std::span<const float> v, bool stored_form = false) override;
  void remove(std::uint32_t id) override;
  void reserve(std::size_t ids) override;
  bool plans_inserts() const noexcept override { return true; }
  // A plan for a free slot (not for a live or tombstoned id: those are re-linked in place).
  std::unique_ptr<VectorInsertPlan> plan_set(std::uint32_t id, std::span<const float> v) const override;
  bool apply_plan(std::uint32_t id, const VectorInsertPlan& plan) override;
  // Inserts a plan is checked against: older plans are stale.
  static constexpr std::size_t kChangeLog = 16;
  bool contains(std::uint32_t id) const noexcept override;
  std::span<const float> get(std::uint32_t id) const noexcept override;
  bool read(std::uint32_t id, std::span<float> out) const noexcept override;

  std::vector<Hit> search(std::span<const float> query, std::size_t k,
                          const ItemFilter& filter,
                          const SearchParams& params = {}) const override;

  std::size_t memory_bytes() const noexcept override;
  IndexCounters counters() const noexcept override {
    return {exact_fallbacks_.load(std::memory_order_relaxed), sweeps_, planned_, plans_stale_};
  }

  void save(ByteSink& out) const override;
  static std::unique_ptr<HnswIndex> load(ByteSource& in, std::size_t dim, Metric metric);

  // Introspection for tests and INFO.
  std::size_t tombstones() const noexcept { return tomb_count_; }
  std::size_t slots() const noexcept { return slot_count_; }
  std::size_t upper_lists() const noexcept;  // sum of the levels of all nodes
  // Removes every remaining link to deleted nodes now, finishing a running sweep first
  // (normally run automatically, one part per delete).
  void sweep();
  bool sweeping() const noexcept { return sweeping_; }

 private:
  struct Impl;
  friend struct Impl;
  friend std::unique_ptr<VectorIndex> load_vector_index(ByteSource&, std::size_t, Metric, std::uint64_t);
  static std::unique_ptr<HnswIndex> load_body(ByteSource& in, std::size_t dim, Metric metric,
                                                std::uint64_t max_ids);

  std::size_t dim_;
  Metric metric_;
  HnswParams params_;
  std::size_t m0_;
  std::size_t block_words_;    // level-0 block size in 32-bit words
  std::size_t payload_words_;  // vector part of a block
  std::size_t slot_count_ = 0;
  std::size_t live_count_ = 0;
  std::size_t tomb_count_ = 0;
  std::uint32_t entry_ = 0;
  int max_level_ = -1;  // -1: empty graph
  // Statistics: queries on several threads count their exact-scan fallbacks (relaxed, the
  // one thing a search writes); sweeps run inside writes, on the main thread.
  mutable std::atomic<std::uint64_t> exact_fallbacks_{0};
  std::uint64_t sweeps_ = 0;
  std::uint64_t planned_ = 0, plans_stale_ = 0;

  // The incremental sweep (writer only). pending_tombs_: slots tombstoned since the last
  // sweep started (may repeat; the state decides); swept_out_: the running sweep's kSweep
  // slots; it has cleaned slots [0, sweep_cursor_) of [0, sweep_end_).
  void start_sweep();
  void sweep_step(std::size_t slots);
  void finish_sweep();
  bool sweeping_ = false;
  std::uint32_t sweep_cursor_ = 0, sweep_end_ = 0, sweep_part_ = 0;
  Vec<std::uint32_t> pending_tombs_, swept_out_;

  // Change log for planned inserts (writer only; plans are checked on the writer's thread).
  // epoch_ counts changes of the graph; structural_epoch_ is the count after the last change
  // other than a fresh insert (a delete, a sweep, a re-set in place, a load), which no plan
  // made before it survives. changes_[e % kChangeLog]: the lists fresh insert e wrote.
  struct Change {
    bool entry_moved = false;
    Vec<std::uint64_t> lists;  // sorted list keys (level, node)
  };
  std::uint64_t epoch_ = 0;
  std::uint64_t structural_epoch_ = 0;
  std::array<Change, kChangeLog> changes_;

  // Level-0 blocks in pages of 2^page_shift_ slots (about 64 KB): growing never copies the
  // graph and never leaves more than one page unused, where a doubling array would hold
  // up to twice the memory the nodes need.
  std::size_t page_shift_;
  Vec<Vec<std::uint32_t>> pages_;
  Vec<std::uint32_t*> page_ptrs_;  // pages_[i].data(): one load to reach a block
  Vec<float> floats_;          // int8 with keep_float: slot_count_ * dim_
  // Upper levels of nodes with level >= 1: per level [count, m links].
  HashMap<std::uint32_t, Vec<std::uint32_t>> upper_;
  // Walks keep no state here: their scratch is per thread (hnsw::WalkScratch).
};

}  // namespace reco
