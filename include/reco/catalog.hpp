// A named item catalog: ids, vectors, terms, default order and ranking features.
//
// Items are addressed by binary-safe string ids from outside and by dense uint32 ids
// inside (indexes, filters, scratch arrays), with freed dense ids reused so arrays stay
// tight. The catalog keeps its indexes consistent with its items; every mutating call
// validates first and changes nothing when it throws.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "reco/memory.hpp"
#include "reco/metric.hpp"
#include "reco/term_index.hpp"
#include "reco/vector_index.hpp"

namespace reco {

class ByteSink;    // codec.hpp
class ByteSource;

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
  // Throws reco::Error on dim outside 1..kMaxDim.
  Catalog(std::string_view name, std::size_t dim, Metric metric);
  ~Catalog();
  Catalog(const Catalog&) = delete;
  Catalog& operator=(const Catalog&) = delete;

  std::string_view name() const noexcept { return view(name_); }
  std::size_t dim() const noexcept { return dim_; }
  Metric metric() const noexcept { return metric_; }
  std::size_t size() const noexcept { return live_count_; }
  // One past the largest dense id ever used: the length scratch arrays need.
  std::uint32_t id_bound() const noexcept { return static_cast<std::uint32_t>(items_.size()); }
  // Bumped by every change; lets replicas and operators compare catalogs cheaply.
  std::uint64_t version() const noexcept { return version_; }

  std::optional<std::uint32_t> find(std::string_view id) const noexcept;
  bool live(std::uint32_t dense) const noexcept {
    return dense < items_.size() && live_[dense];
  }
  const Item& item(std::uint32_t dense) const { return items_[dense]; }
  // Empty span if the item has no vector.
  std::span<const float> vector(std::uint32_t dense) const noexcept {
    return vectors_->get(dense);
  }
  const std::uint64_t* fingerprints() const noexcept { return fps_.data(); }

  // Returns true if the item was created. Throws reco::Error (and changes nothing) on a
  // vector of the wrong size or with a non-finite value, a non-finite popularity, or an
  // id whose fingerprint collides with another item's.
  bool upsert(std::string_view id, const ItemUpdate& update);
  bool erase(std::string_view id);

  const VectorIndex& vectors() const noexcept { return *vectors_; }
  const TermIndex& terms() const noexcept { return terms_; }
  // Live ids by popularity desc, then time desc, then id: the default order for cold
  // users and for filling. Rebuilt lazily after changes.
  std::span<const std::uint32_t> popular_order() const;
  // Inverse of popular_order(): position of each dense id (unspecified for dead ids).
  std::span<const std::uint32_t> popular_rank() const;

  std::size_t memory_bytes() const noexcept;

 private:
  friend void save_catalog(const Catalog&, ByteSink&);
  friend std::unique_ptr<Catalog> load_catalog(ByteSource&, std::uint32_t);

  // Writes a validated item into slot `dense` (which must be free).
  void place(std::uint32_t dense, Item&& item, std::span<const float> vector);

  String name_;
  std::size_t dim_;
  Metric metric_;
  std::uint64_t version_ = 0;
  std::size_t live_count_ = 0;

  Vec<Item> items_;                // by dense id; dead slots are empty
  Vec<std::uint8_t> live_;
  Vec<std::uint64_t> fps_;         // fingerprint of each dense id's item id
  Vec<std::uint32_t> free_ids_;
  HashMap<std::uint64_t, std::uint32_t> by_fp_;
  std::unique_ptr<VectorIndex> vectors_;
  TermIndex terms_;

  mutable bool order_dirty_ = true;
  mutable Vec<std::uint32_t> popular_;
  mutable Vec<std::uint32_t> popular_rank_;
};

}  // namespace reco
