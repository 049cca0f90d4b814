// A named item catalog: ids, vectors, terms, default order and ranking features.
//
// Items are addressed by binary-safe string ids from outside and by dense uint32 ids
// inside (indexes, filters, scratch arrays), with freed dense ids reused so arrays stay
// tight. The catalog keeps its indexes consistent with its items; every mutating call
// validates first and changes nothing when it throws.
#pragma once

#include <algorithm>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "reco/blend.hpp"
#include "reco/digest.hpp"
#include "reco/index_config.hpp"
#include "reco/memory.hpp"
#include "reco/metric.hpp"
#include "reco/popular_order.hpp"
#include "reco/term_index.hpp"
#include "reco/vector_index.hpp"

namespace reco {

class ByteSink;    // codec.hpp
class ByteSource;
class ModelSet;    // model_set.hpp

constexpr std::size_t kMaxDim = 4096;

struct Feature {
  String name;
  String value;
};

struct Item {
  String id;
  Vec<String> terms;
  double popularity = 0;
  std::int64_t time = 0;  // unix seconds
  Vec<Feature> features;
};

// A partial update: absent fields keep their value (defaults for a new item).
struct ItemUpdate {
  std::optional<std::vector<float>> vector;
  std::optional<std::vector<std::string>> terms;
  std::optional<double> popularity;
  std::optional<std::int64_t> time;
  std::optional<std::vector<std::pair<std::string, std::string>>> features;
};

class Catalog {
 public:
  RECO_HOOK_ALLOCATED
 public:
  // Throws reco::Error on dim outside 1..kMaxDim or an invalid index configuration.
  Catalog(std::string_view name, std::size_t dim, Metric metric, const IndexConfig& index = {});
  ~Catalog();
  Catalog(const Catalog&) = delete;
  Catalog& operator=(const Catalog&) = delete;

  std::string_view name() const noexcept { return view(name_); }
  std::size_t dim() const noexcept { return dim_; }
  Metric metric() const noexcept { return metric_; }
  std::size_t size() const noexcept { return live_count_; }
  // One past the largest dense id ever used: the length scratch arrays need.
  std::uint32_t id_bound() const noexcept { return static_cast<std::uint32_t>(items_.size()); }
  // Bumped by every change (items, settings, blend, and models through count_change());
  // lets replicas and operators compare catalogs cheaply.
  std::uint64_t version() const noexcept { return version_; }
  // For changes made through models(): the model set does not know its catalog, so whoever
  // changes it calls this once it has (only when something did change).
  void count_change() noexcept { ++version_; }
  // The sum of item_digest() over the live items, kept by every write (catalog_digest.hpp
  // adds the settings and models).
  const Digest128& items_digest() const noexcept { return items_digest_; }

  std::optional<std::uint32_t> find(std::string_view id) const noexcept;
  // The dense id whose item id has this fingerprint (a seen-set entry), if any.
  std::optional<std::uint32_t> find_fingerprint(std::uint64_t fp) const noexcept;
  bool live(std::uint32_t dense) const noexcept {
    return dense < items_.size() && live_[dense];
  }
  const Item& item(std::uint32_t dense) const { return items_[dense]; }
  // The item's vector as stored (unit length under COSINE; dequantised under INT8);
  // empty if the item has none.
  std::vector<float> vector(std::uint32_t dense) const;
  const std::uint64_t* fingerprints() const noexcept { return fps_.data(); }

  // Returns true if the item was created. Throws reco::Error (and changes nothing) on a
  // vector of the wrong size or with a non-finite value, a non-finite popularity, or an
  // id whose fingerprint collides with another item's.
  // `plan`, if given, is plan_upsert()'s for this update: used if it still fits the index,
  // else the vector is linked here; the outcome is the same either way.
  bool upsert(std::string_view id, const ItemUpdate& update, const VectorInsertPlan* plan = nullptr);
  // The costly part of upsert(id, update) done ahead (VectorIndex::plan_set): const, for
  // any thread while no thread writes. nullptr when there is nothing to plan: no vector, an
  // index that does not plan, or an item whose vector is re-linked in place.
  std::unique_ptr<VectorInsertPlan> plan_upsert(std::string_view id, const ItemUpdate& update) const;
  bool plans_upserts() const noexcept { return vectors_->plans_inserts(); }
  bool erase(std::string_view id);

  const VectorIndex& vectors() const noexcept { return *vectors_; }
  const IndexConfig& index_config() const noexcept { return index_config_; }
  // Query-time index settings (EF_RUNTIME, EXACT_BELOW); the graph's shape is fixed at
  // creation. Throws reco::Error (changing nothing) on an invalid value.
  void set_query_settings(std::uint32_t ef_runtime, std::uint32_t exact_below);

  // The dimension that carries an item bias (BIAS_DIM), if any: vectors trained for a
  // user's inner product, items [q, b] and users [p, 1]. User queries use every
  // dimension; item-to-item queries (similar(), the SESSION source) leave it out, see
  // reco/item_similarity.hpp. Throws reco::Error (changing nothing) on an index outside
  // 0..dim-1 or a catalog of one dimension (nothing would be left to compare).
  std::optional<std::uint32_t> bias_dim() const noexcept { return bias_dim_; }
  void set_bias_dim(std::optional<std::uint32_t> dim);

  // Ranking models; their item tables follow every item write.
  const ModelSet& models() const noexcept { return *models_; }
  ModelSet& models() noexcept { return *models_; }

  // The default order of RECO.RECOMMEND for this catalog (RECO.CATALOG.CONFIG).
  const BlendConfig& blend() const noexcept { return blend_; }
  void set_blend(const BlendConfig& blend);
  // True when vector searches scan exactly: INDEX FLAT, or AUTO below its threshold.
  bool searches_exactly() const noexcept;
  // The k best items for `query` (already in the catalog's dim) that `filter` allows.
  // `ef` 0 means the catalog's EF_RUNTIME (or the index default).
  std::vector<Hit> search(std::span<const float> query, std::size_t k, const ItemFilter& filter,
                          std::size_t ef = 0) const;
  const TermIndex& terms() const noexcept { return terms_; }
  // Sorted dense ids of the items carrying at least one of `terms` (HASTERM).
  std::vector<std::uint32_t> items_with_any_term(std::span<const std::string> terms) const;
  // Live ids by popularity desc, then time desc, then id: the default order for cold
  // users and for filling (reco/popular_order.hpp). Derived from the items and kept by the
  // writer, never by a query (queries may run on several threads): every write moves its
  // item in place at a bounded cost (one block of the list, not the positions between its
  // old and new place), so the order stays current after writes; after a load, or after an
  // allocation failure part-way through a move, it is stale until refresh_derived() sorts
  // it. With refresh_on_write (the default) a write ends with that refresh; the server
  // turns it off and refreshes before it hands a catalog to queries.
  // Reading a stale order throws reco::Error.
  const PopularList& popular_order() const;
  // Live dense id `d`'s place in the popular order, and whether `a` comes before `b`.
  OrderKey popular_key(std::uint32_t d) const noexcept {
    return {items_[d].popularity, items_[d].time, d};
  }
  bool popular_before(std::uint32_t a, std::uint32_t b) const noexcept {
    return before(popular_key(a), popular_key(b));
  }
  // The items carrying `term`, most popular first (kept with popular_order()): lets term
  // recall read only the head of a broad term's list. Empty if nobody carries it.
  const PopularList& popular_postings(std::string_view term) const;
  // Whether the order and its per-term lists follow every write so far.
  bool derived_current() const noexcept { return !order_dirty_ && !popular_terms_dirty_; }
  bool popular_order_current() const noexcept { return !order_dirty_; }
  // Full sorts of the popular order since load: a load's own, plus one after each failed
  // move (writes otherwise keep the order by moves).
  std::uint64_t resorts() const noexcept { return resorts_; }
  bool popular_postings_current() const noexcept { return derived_current(); }
  // Sorts the order and rebuilds its term lists if a write left them stale (the writer's
  // job: not thread-safe against readers, see reco/serving/shared_catalog.hpp).
  void refresh_derived();
  void set_refresh_on_write(bool on) noexcept { refresh_on_write_ = on; }

  std::size_t memory_bytes() const noexcept;

 private:
  friend void save_catalog(const Catalog&, ByteSink&);
  friend std::unique_ptr<Catalog> load_catalog(ByteSource&, std::uint32_t);

  // Writes a validated item into slot `dense` (which must be free); the loader then calls
  // rebuild_items_digest() once the index is in place.
  void place(std::uint32_t dense, Item&& item, std::span<const float> vector);
  // Keeps a built popular order (and its term lists) in step with one item's write:
  // `was` is the item before (nullptr if created), `now` after (nullptr if erased); terms
  // are the same in both unless `terms_changed`.
  void reorder(std::uint32_t dense, const Item* was, const Item* now, bool terms_changed);
  // item_digest() of slot `dense` as it stands (writers only: uses digest_scratch_).
  Digest128 stored_digest(std::uint32_t dense) noexcept;
  void rebuild_items_digest() noexcept;
  // The bulk growth steps of a write to `dense`, taken before its first change.
  void reserve_dense(std::uint32_t dense);

  String name_;
  std::size_t dim_;
  Metric metric_;
  IndexConfig index_config_;
  BlendConfig blend_;
  std::optional<std::uint32_t> bias_dim_;
  std::uint64_t version_ = 0;
  std::size_t live_count_ = 0;
  Digest128 items_digest_;
  Vec<float> digest_scratch_;  // dim floats, so that keeping the digest never allocates

  Vec<Item> items_;                // by dense id; dead slots are empty
  Vec<std::uint8_t> live_;
  Vec<std::uint64_t> fps_;         // fingerprint of each dense id's item id
  Vec<std::uint32_t> free_ids_;
  HashMap<std::uint64_t, std::uint32_t> by_fp_;
  std::unique_ptr<VectorIndex> vectors_;
  TermIndex terms_;
  std::unique_ptr<ModelSet> models_;

  // Ends a write: refreshes the derived structures now if refresh_on_write_.
  void after_write();

  bool refresh_on_write_ = true;
  bool order_dirty_ = true;
  std::uint64_t resorts_ = 0;
  PopularList popular_;
  PopularTermLists popular_terms_;
  bool popular_terms_dirty_ = true;
};

}  // namespace reco
