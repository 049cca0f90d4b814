// Loading into a Redis Cluster, and the operations a cluster needs from the loader: the
// same node-level writes (catalog, items, blend, models) on every master at once, users on
// the master of their slot (following MOVED and ASK), a catalog copied from one node to
// others (RECO.CATALOG.DUMP / RESTORE), and a check that every node holds the same
// catalogs (RECO.CATALOG.INFO digest on masters and replicas).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "reco_offline/bulk_loader.hpp"
#include "reco_offline/cluster.hpp"

namespace reco_offline {

// fn on its own connection to each node, one thread per node; the first failure is
// rethrown once all are done.
void for_each_node(const std::vector<ClusterNode>& nodes,
                   const std::function<void(RedisConnection& conn, const ClusterNode& node)>& fn);

// Users (and vector-only rows) grouped by the master of their key's slot and loaded on all
// masters at once; redirected records are re-sent (MOVED: to the slot's master after the
// topology is read again; ASK: with ASKING to the node named), up to 5 rounds.
LoadSummary load_users_cluster(const ClusterTopology& topology, const std::vector<UserRecord>& users,
                               const FactorTable* vectors, const LoadOptions& options);

struct CopyResult {
  uint64_t bytes = 0;
  long long parts = 0;
  uint64_t version = 0;
  double dump_seconds = 0, restore_seconds = 0;
};
// The catalog from `from` to each of `to` (RESTORE ... REPLACE): read once, part by part
// (starting again if the catalog changes meanwhile), then sent to all targets at once.
CopyResult copy_catalog(RedisConnection& from, const std::string& catalog, const std::vector<ClusterNode>& to);

struct DigestRow {
  ClusterNode node;
  std::string catalog;
  std::string digest;  // empty with an error
  std::string version;
  std::string error;
};
// RECO.CATALOG.INFO <catalog> digest/version on every node, for every catalog.
std::vector<DigestRow> catalog_digests(const std::vector<ClusterNode>& nodes, const std::vector<std::string>& catalogs);

}  // namespace reco_offline
