// What a catalog's digest covers, and how an item is hashed into it.
//
// The digest (RECO.CATALOG.INFO's `digest`) is equal on two nodes exactly when they hold the
// same contents and settings: every item (id, vector as stored, terms as a set, popularity,
// time, features as a set), the dimension and metric, the index settings, the bias dimension,
// the blend, and the models (each version's name and file, which one is active, the split).
// It does not cover
// what no answer depends on (the catalog's name, write order, idempotent re-sends, the
// rollback history, statistics) nor the shape of a graph index: a graph built in another
// insert order holds the same items but may answer approximate searches differently (exact
// scans answer the same). The items' part is kept by every write (Catalog::items_digest());
// the rest is hashed when read, in O(settings + model versions).
#pragma once

#include <span>

#include "reco/catalog.hpp"
#include "reco/digest.hpp"

namespace reco {

// The hash of one item with its vector as stored (empty: the item has none). No allocation.
Digest128 item_digest(const Item& item, std::span<const float> vector) noexcept;

// The whole catalog's digest (see above).
Digest128 catalog_digest(const Catalog& catalog);

}  // namespace reco
