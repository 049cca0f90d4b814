// How a catalog indexes its vectors: exact scan, an HNSW graph, or AUTO (the default).
//
// AUTO keeps an HNSW graph from the first item but answers by exact scan while the
// catalog is smaller than `exact_below`: below that size a scan is as fast as the graph
// and exact, and keeping the graph from the start means crossing the threshold never
// stalls a write with a whole-graph build. The command surface is the same for every
// choice; only RECO.CATALOG.INFO tells them apart.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "reco/metric.hpp"

namespace reco {

class VectorIndex;

enum class IndexKind : std::uint8_t { Auto = 0, Flat = 1, Hnsw = 2 };
enum class Quantization : std::uint8_t { None = 0, Int8 = 1 };

std::string_view index_kind_name(IndexKind k);  // "AUTO", "FLAT", "HNSW"
std::optional<IndexKind> parse_index_kind(std::string_view s);
std::string_view quantization_name(Quantization q);  // "NONE", "INT8"
std::optional<Quantization> parse_quantization(std::string_view s);

// Catalogs under this many vectors are searched exactly under AUTO. At 64 dims an exact
// scan of 20,000 vectors takes about as long as a graph search at the default ef (see
// bench/RESULTS.md).
constexpr std::uint32_t kDefaultExactBelow = 20000;
constexpr std::uint32_t kMaxM = 128;
constexpr std::uint32_t kMaxEf = 100000;

struct IndexConfig {
  IndexKind kind = IndexKind::Auto;
  std::uint32_t m = 16;                 // graph degree (level 0 keeps 2*M links)
  std::uint32_t ef_construction = 200;  // candidate list while inserting
  std::uint32_t ef_runtime = 0;         // candidate list while searching; 0 = index default
  Quantization quant = Quantization::None;
  bool keep_float = false;              // INT8: also keep float vectors to re-score exactly
  std::uint32_t exact_below = kDefaultExactBelow;  // AUTO only

  bool uses_graph() const noexcept { return kind != IndexKind::Flat; }
  // Throws reco::Error naming the first bad parameter.
  void validate() const;
};

// A new, empty index for `config` (validated by the caller).
std::unique_ptr<VectorIndex> make_vector_index(std::size_t dim, Metric metric,
                                               const IndexConfig& config);

}  // namespace reco
