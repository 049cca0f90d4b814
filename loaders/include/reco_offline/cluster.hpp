// A Redis Cluster as the loader sees it: which node owns which hash slot, read with CLUSTER
// SHARDS (Redis 7.0), and the slot of a key (CRC16-XMODEM of the key, or of its {hash tag},
// mod 16384, as the cluster specification defines it).
//
// Catalogs are node-level objects: every master holds every catalog, so catalog, item and
// model writes go to every master; a user key goes to the master of its slot.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "reco_offline/redis_client.hpp"

namespace reco_offline {

constexpr int kClusterSlots = 16384;

struct ClusterNode {
  std::string id;
  std::string host;
  int port = 0;
  bool master = false;
  std::string health;  // "online", "failed", "loading"
  std::string address() const { return host + ":" + std::to_string(port); }
};

struct ClusterShard {
  std::vector<std::pair<int, int>> slots;  // inclusive ranges
  std::vector<ClusterNode> nodes;          // the master (if any) first
  // The master serving the shard (not a failed one), or nullptr.
  const ClusterNode* master() const {
    return !nodes.empty() && nodes.front().master && nodes.front().health != "fail" ? &nodes.front() : nullptr;
  }
};

struct ClusterTopology {
  std::vector<ClusterShard> shards;
  // Index into shards of the shard serving `slot`, -1 if none does.
  int shard_of(int slot) const;
  std::vector<ClusterNode> masters() const;  // one per shard with a master, in shard order
  std::vector<ClusterNode> nodes() const;    // every node, masters and replicas (failed ones too)
};

uint16_t crc16_xmodem(std::string_view bytes);
int key_slot(std::string_view key);

// INFO cluster says cluster_enabled:1.
bool cluster_enabled(RedisConnection& conn);
// CLUSTER SHARDS; throws RedisError when the node does not answer it. Shards without slots
// (a new, empty master) are kept: they hold catalogs too.
ClusterTopology read_topology(RedisConnection& conn);

// "MOVED <slot> <host>:<port>" / "ASK <slot> <host>:<port>" -> the node, or false.
bool parse_redirect(const std::string& error, bool& ask, std::string& host, int& port);

}  // namespace reco_offline
