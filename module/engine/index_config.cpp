// Index choice of a catalog (see reco/index_config.hpp).
#include "reco/index_config.hpp"

#include <algorithm>
#include <cctype>
#include <string>

#include "reco/error.hpp"
#include "reco/flat_index.hpp"
#include "reco/hnsw_index.hpp"

namespace reco {
namespace {

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::toupper(static_cast<unsigned char>(x)) ==
                  std::toupper(static_cast<unsigned char>(y));
         });
}

}  // namespace

std::string_view index_kind_name(IndexKind k) {
  switch (k) {
    case IndexKind::Flat: return "FLAT";
    case IndexKind::Hnsw: return "HNSW";
    case IndexKind::Auto: break;
  }
  return "AUTO";
}

std::optional<IndexKind> parse_index_kind(std::string_view s) {
  for (IndexKind k : {IndexKind::Auto, IndexKind::Flat, IndexKind::Hnsw})
    if (iequals(s, index_kind_name(k))) return k;
  return std::nullopt;
}

std::string_view quantization_name(Quantization q) {
  return q == Quantization::Int8 ? "INT8" : "NONE";
}

std::optional<Quantization> parse_quantization(std::string_view s) {
  for (Quantization q : {Quantization::None, Quantization::Int8})
    if (iequals(s, quantization_name(q))) return q;
  return std::nullopt;
}

void IndexConfig::validate() const {
  if (kind != IndexKind::Auto && kind != IndexKind::Flat && kind != IndexKind::Hnsw)
    throw Error("INDEX must be AUTO, FLAT or HNSW");
  if (m < 2 || m > kMaxM) throw Error("M must be between 2 and " + std::to_string(kMaxM));
  if (ef_construction < 1 || ef_construction > kMaxEf)
    throw Error("EF_CONSTRUCTION must be between 1 and " + std::to_string(kMaxEf));
  if (ef_runtime > kMaxEf)
    throw Error("EF_RUNTIME must be between 0 and " + std::to_string(kMaxEf));
  if (quant != Quantization::None && quant != Quantization::Int8)
    throw Error("QUANT must be NONE or INT8");
  if (quant != Quantization::None && kind == IndexKind::Flat)
    throw Error("QUANT needs INDEX HNSW or AUTO");
}

std::unique_ptr<VectorIndex> make_vector_index(std::size_t dim, Metric metric,
                                               const IndexConfig& config) {
  if (!config.uses_graph()) return std::make_unique<FlatIndex>(dim, metric);
  HnswParams p;
  p.m = config.m;
  p.ef_construction = config.ef_construction;
  p.ef_search = config.ef_runtime;
  p.quant = config.quant == Quantization::Int8 ? HnswQuant::Int8 : HnswQuant::None;
  p.keep_float = config.keep_float;
  return std::make_unique<HnswIndex>(dim, metric, p);
}

}  // namespace reco
