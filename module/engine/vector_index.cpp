// Loading a saved vector index of any kind (see reco/vector_index.hpp): the kind tag
// picks the reader, so a catalog's codec never needs to know which index it holds.
#include "reco/vector_index.hpp"

#include <string>

#include "reco/codec.hpp"
#include "reco/error.hpp"
#include "reco/flat_index.hpp"
#include "reco/hnsw_index.hpp"

namespace reco {

std::unique_ptr<VectorIndex> load_vector_index(ByteSource& in, std::size_t dim, Metric metric,
                                               std::uint64_t max_ids) {
  const std::uint64_t tag = in.get_u64();
  switch (tag) {
    case static_cast<std::uint64_t>(VectorIndexKind::Flat):
      return FlatIndex::load_body(in, dim, metric, max_ids);
    case static_cast<std::uint64_t>(VectorIndexKind::Hnsw):
      return HnswIndex::load_body(in, dim, metric, max_ids);
    default:
      throw Error("corrupt vector index: unknown kind " + std::to_string(tag));
  }
}

}  // namespace reco
