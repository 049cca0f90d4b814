// Exact k-nearest search by scanning every vector.
//
// Vectors sit in one row-major block indexed by dense id, so a query streams through
// memory once: vectorised dot products (Eigen) over chunks, then a top-k selection. Exact recall and no build cost: right for catalogs up to ~10^5 items, and the
// reference an approximate index is measured against.
#pragma once

#include "reco/memory.hpp"
#include "reco/vector_index.hpp"

namespace reco {

class FlatIndex final : public VectorIndex {
 public:
  FlatIndex(std::size_t dim, Metric metric);

  std::string_view kind() const noexcept override { return "flat"; }
  std::size_t dim() const noexcept override { return dim_; }
  Metric metric() const noexcept override { return metric_; }
  std::size_t size() const noexcept override { return count_; }

  void set(std::uint32_t id, std::span<const float> v, bool stored_form = false) override;
  void remove(std::uint32_t id) override;
  bool contains(std::uint32_t id) const noexcept override {
    return id < live_.size() && live_[id];
  }
  std::span<const float> get(std::uint32_t id) const noexcept override;

  std::vector<Hit> search(std::span<const float> query, std::size_t k,
                          const ItemFilter& filter) const override;

  std::size_t memory_bytes() const noexcept override;

 private:
  std::size_t dim_;
  Metric metric_;
  std::size_t count_ = 0;
  Vec<float> rows_;     // rows_[id*dim_ .. +dim_], zero for absent ids
  Vec<float> norms2_;   // squared norms, for L2
  Vec<std::uint8_t> live_;
};

}  // namespace reco
