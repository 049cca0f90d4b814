// The module commands the loader sends, built from prepared records and
// factor rows (grammar: RECO.CATALOG.CREATE / RECO.ITEM.SET / RECO.USER.SET).
// Every list is sent in full, with its count, even when empty, so that a
// record loaded twice, or reloaded after it changed, ends up exactly as the
// files say: SET replaces what it is given.
#pragma once

#include <string>

#include "reco_offline/command_args.hpp"
#include "reco_offline/records.hpp"

namespace reco_offline {

// `index`: the INDEX option (AUTO, FLAT, HNSW); empty leaves the server's default.
void build_catalog_create(CommandArgs& out, const std::string& catalog, int dim, const std::string& metric,
                          const std::string& index = "");

// `vector` may be null (no vector for this item); `record` may be null (vector only).
void build_item_set(CommandArgs& out, const std::string& catalog, const std::string& item_id,
                    const ItemRecord* record, const float* vector, int dim);

void build_user_set(CommandArgs& out, const std::string& key, const UserRecord* record, const float* vector, int dim);

}  // namespace reco_offline
