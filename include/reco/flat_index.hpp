// Exact k-nearest search by scanning every vector.
//
// Vectors sit in one row-major block indexed by dense id, so a query streams through
// memory once: vectorised dot products (the run-time kernels, reco/kernels.hpp) over
// chunks, then a top-k selection. Exact recall and no build cost: right for catalogs up to ~10^5 items, and the
// reference an approximate index is measured against.
#pragma once

#include <memory>

#include "reco/memory.hpp"
#include "reco/vector_index.hpp"

namespace reco {

class FlatIndex final : public VectorIndex {
 public:
  static constexpr std::uint64_t kFormatVersion = 1;

  FlatIndex(std::size_t dim, Metric metric);

  std::string_view kind() const noexcept override { return "flat"; }
  std::size_t dim() const noexcept override { return dim_; }
  Metric metric() const noexcept override { return metric_; }
  std::size_t size() const noexcept override { return count_; }

  void set(std::uint32_t id, std::span<const float> v, bool stored_form = false) override;
  void remove(std::uint32_t id) override;
  void reserve(std::size_t ids) override;
  bool contains(std::uint32_t id) const noexcept override {
    return id < live_.size() && live_[id];
  }
  std::span<const float> get(std::uint32_t id) const noexcept override;
  bool read(std::uint32_t id, std::span<float> out) const noexcept override;

  // params.ef is ignored: the scan is exact.
  std::vector<Hit> search(std::span<const float> query, std::size_t k,
                          const ItemFilter& filter,
                          const SearchParams& params = {}) const override;

  std::size_t memory_bytes() const noexcept override;

  void save(ByteSink& out) const override;
  // Reads a payload written by save() (kind tag included); throws reco::Error if corrupt.
  static std::unique_ptr<FlatIndex> load(ByteSource& in, std::size_t dim, Metric metric);

 private:
  friend std::unique_ptr<VectorIndex> load_vector_index(ByteSource&, std::size_t, Metric, std::uint64_t);
  static std::unique_ptr<FlatIndex> load_body(ByteSource& in, std::size_t dim, Metric metric,
                                                std::uint64_t max_ids);

  std::size_t dim_;
  Metric metric_;
  std::size_t count_ = 0;
  Vec<float> rows_;     // rows_[id*dim_ .. +dim_], zero for absent ids
  Vec<float> norms2_;   // squared norms, for L2
  Vec<std::uint8_t> live_;
};

}  // namespace reco
