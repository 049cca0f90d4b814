// A catalog as one self-contained byte string, to copy it between nodes
// (RECO.CATALOG.DUMP / RESTORE): a new master or a replaced node gets a catalog, graph
// included, by decoding what another node encoded, instead of re-inserting every item.
//
// Layout: the 8 bytes "RECOCAT1", the catalog encoding (u64), the catalog exactly as the RDB
// holds it (save_catalog: items, index with its graph as it is, blend, BIAS_DIM, models),
// then an XXH3-64 of everything before it (u64). Decoding checks the magic, the encoding
// (any this engine reads), the checksum (a part lost or damaged on the way) and then, as
// for an RDB, every count and size against what remains; it either returns the whole
// catalog or throws reco::Error.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "reco/catalog.hpp"
#include "reco/memory.hpp"

namespace reco {

// Built in the module allocator's memory (reco::String), as every large buffer of the module.
String encode_catalog_copy(const Catalog& catalog);
std::unique_ptr<Catalog> decode_catalog_copy(std::string_view bytes);

}  // namespace reco
