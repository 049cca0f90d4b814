// The interface every vector index of a catalog implements.
//
// The catalog owns item ids and vectors' meaning; an index only maps dense ids to vectors
// and answers filtered k-nearest queries in "higher is better" scores (see metric.hpp).
// The exact flat index implements it now; an approximate graph index can replace it
// without the catalog, the recall sources or the glue changing.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "reco/item_filter.hpp"
#include "reco/metric.hpp"
#include "reco/top_k.hpp"

namespace reco {

class VectorIndex {
 public:
  virtual ~VectorIndex() = default;

  virtual std::string_view kind() const noexcept = 0;
  virtual std::size_t dim() const noexcept = 0;
  virtual Metric metric() const noexcept = 0;
  virtual std::size_t size() const noexcept = 0;  // ids holding a vector

  // Insert or replace the vector of dense id `id` (v.size() == dim(), finite: checked by
  // the caller). `stored_form`: v came from get() (e.g. a reload) and must be kept
  // bit-exact rather than normalised again, so that a reloaded or replicated index
  // scores exactly as the original.
  virtual void set(std::uint32_t id, std::span<const float> v, bool stored_form = false) = 0;
  virtual void remove(std::uint32_t id) = 0;
  virtual bool contains(std::uint32_t id) const noexcept = 0;
  // The vector as stored (unit length under COSINE); empty span if absent.
  virtual std::span<const float> get(std::uint32_t id) const noexcept = 0;

  // The k best ids for `query` that `filter` allows, best first.
  virtual std::vector<Hit> search(std::span<const float> query, std::size_t k,
                                  const ItemFilter& filter) const = 0;

  virtual std::size_t memory_bytes() const noexcept = 0;
};

}  // namespace reco
