// Cluster topology and key slots (see cluster.hpp).
#include "reco_offline/cluster.hpp"

#include <map>

#include "reco_offline/text_input.hpp"

namespace reco_offline {

uint16_t crc16_xmodem(std::string_view bytes) {
  // Polynomial 0x1021, initial value 0, no reflection, no final xor (the cluster spec's).
  uint16_t crc = 0;
  for (unsigned char b : bytes) {
    crc = static_cast<uint16_t>(crc ^ (static_cast<uint16_t>(b) << 8));
    for (int k = 0; k < 8; ++k)
      crc = static_cast<uint16_t>((crc & 0x8000) ? (crc << 1) ^ 0x1021 : crc << 1);
  }
  return crc;
}

int key_slot(std::string_view key) {
  // Only the part between the first '{' and the next '}' counts, when it is not empty.
  const size_t open = key.find('{');
  if (open != std::string_view::npos) {
    const size_t close = key.find('}', open + 1);
    if (close != std::string_view::npos && close > open + 1) key = key.substr(open + 1, close - open - 1);
  }
  return crc16_xmodem(key) & (kClusterSlots - 1);
}

int ClusterTopology::shard_of(int slot) const {
  for (size_t s = 0; s < shards.size(); ++s)
    for (const auto& [lo, hi] : shards[s].slots)
      if (slot >= lo && slot <= hi) return static_cast<int>(s);
  return -1;
}

std::vector<ClusterNode> ClusterTopology::masters() const {
  std::vector<ClusterNode> out;
  for (const ClusterShard& s : shards)
    if (const ClusterNode* m = s.master()) out.push_back(*m);
  return out;
}

std::vector<ClusterNode> ClusterTopology::nodes() const {
  std::vector<ClusterNode> out;
  for (const ClusterShard& s : shards) out.insert(out.end(), s.nodes.begin(), s.nodes.end());
  return out;
}

bool cluster_enabled(RedisConnection& conn) {
  const Reply r = conn.command({"INFO", "cluster"});
  return !r.is_error() && r.str.find("cluster_enabled:1") != std::string::npos;
}

namespace {

// A RESP2 map: a flat array of name, value pairs.
std::map<std::string, const Reply*> as_map(const Reply& r) {
  std::map<std::string, const Reply*> m;
  for (size_t k = 0; k + 1 < r.elements.size(); k += 2) m[r.elements[k].str] = &r.elements[k + 1];
  return m;
}

long long as_int(const Reply* r) {
  if (!r) return 0;
  if (r->type == Reply::Type::Integer) return r->integer;
  int64_t v = 0;
  return parse_int(r->str, v) ? v : 0;
}

}  // namespace

ClusterTopology read_topology(RedisConnection& conn) {
  const Reply r = conn.command({"CLUSTER", "SHARDS"});
  if (r.is_error()) throw RedisError("CLUSTER SHARDS: " + r.str);
  if (r.type != Reply::Type::Array) throw RedisError("CLUSTER SHARDS: unexpected reply " + r.to_string());
  ClusterTopology t;
  for (const Reply& shard : r.elements) {
    const auto m = as_map(shard);
    ClusterShard s;
    if (const auto it = m.find("slots"); it != m.end())
      for (size_t k = 0; k + 1 < it->second->elements.size(); k += 2)
        s.slots.emplace_back(static_cast<int>(as_int(&it->second->elements[k])),
                             static_cast<int>(as_int(&it->second->elements[k + 1])));
    if (const auto it = m.find("nodes"); it != m.end()) {
      for (const Reply& node : it->second->elements) {
        const auto n = as_map(node);
        ClusterNode c;
        const auto text = [&](const char* key) { const auto f = n.find(key); return f == n.end() ? std::string() : f->second->str; };
        c.id = text("id");
        c.host = text("endpoint");
        if (c.host.empty() || c.host == "?") c.host = text("ip");
        c.port = static_cast<int>(as_int(n.count("port") ? n.at("port") : nullptr));
        c.master = text("role") == "master";
        c.health = text("health");
        s.nodes.push_back(std::move(c));
      }
    }
    // The shard's serving master first (a failed one keeps its role in the reply until it is forgotten).
    std::stable_partition(s.nodes.begin(), s.nodes.end(),
                          [](const ClusterNode& c) { return c.master && c.health != "fail"; });
    t.shards.push_back(std::move(s));
  }
  return t;
}

bool parse_redirect(const std::string& error, bool& ask, std::string& host, int& port) {
  std::vector<std::string_view> parts;
  split_fields(error, " ", parts);
  if (parts.size() != 3 || (parts[0] != "MOVED" && parts[0] != "ASK")) return false;
  ask = parts[0] == "ASK";
  const size_t colon = parts[2].rfind(':');
  if (colon == std::string_view::npos) return false;
  int64_t p = 0;
  if (!parse_int(parts[2].substr(colon + 1), p) || p <= 0 || p > 65535) return false;
  host = std::string(parts[2].substr(0, colon));
  port = static_cast<int>(p);
  return true;
}

}  // namespace reco_offline
