// Cluster loading, catalog copy and the digest check (see cluster_loader.hpp).
#include "reco_offline/cluster_loader.hpp"

#include <chrono>
#include <exception>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include "reco_offline/reco_commands.hpp"

namespace reco_offline {

void for_each_node(const std::vector<ClusterNode>& nodes,
                   const std::function<void(RedisConnection& conn, const ClusterNode& node)>& fn) {
  std::vector<std::exception_ptr> failed(nodes.size());
  std::vector<std::thread> threads;
  for (size_t n = 0; n < nodes.size(); ++n) {
    threads.emplace_back([&, n] {
      try {
        RedisConnection conn(nodes[n].host, nodes[n].port);
        fn(conn, nodes[n]);
      } catch (...) {
        failed[n] = std::current_exception();
      }
    });
  }
  for (auto& t : threads) t.join();
  for (const auto& e : failed)
    if (e) std::rethrow_exception(e);
}

namespace {

// The rows of `vectors` whose ids are in `keep`.
FactorTable subset(const FactorTable& vectors, const std::unordered_set<std::string>& keep) {
  FactorTable out;
  std::vector<Eigen::Index> rows;
  for (size_t r = 0; r < vectors.ids.size(); ++r)
    if (keep.count(vectors.ids[r])) {
      out.ids.push_back(vectors.ids[r]);
      rows.push_back(static_cast<Eigen::Index>(r));
    }
  out.vectors.resize(static_cast<Eigen::Index>(rows.size()), vectors.vectors.cols());
  for (size_t k = 0; k < rows.size(); ++k) out.vectors.row(static_cast<Eigen::Index>(k)) = vectors.vectors.row(rows[k]);
  return out;
}

void add(LoadSummary& into, const LoadSummary& s) {
  into.records += s.records;
  into.with_vector += s.with_vector;
  into.created += s.created;
  into.errors += s.errors;
  for (const auto& e : s.first_errors)
    if (into.first_errors.size() < 5) into.first_errors.push_back(e);
}

}  // namespace

LoadSummary load_users_cluster(const ClusterTopology& first, const std::vector<UserRecord>& users,
                               const FactorTable* vectors, const LoadOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  LoadSummary total;
  total.what = "users";
  ClusterTopology topology = first;
  std::unordered_set<std::string> todo;  // ids still to send (all at first)
  for (const UserRecord& u : users) todo.insert(u.id);
  if (vectors)
    for (const std::string& id : vectors->ids) todo.insert(id);
  std::unordered_map<std::string, const UserRecord*> by_id;
  for (const UserRecord& u : users) by_id.emplace(u.id, &u);
  std::vector<std::pair<std::string, std::string>> asked;  // id, "ASK ..." reply

  for (int round = 0; round < 5 && (!todo.empty() || !asked.empty()); ++round) {
    // ASK: the slot is moving; this one record goes to the importing node, after ASKING.
    for (const auto& [id, reply] : asked) {
      bool ask = false;
      std::string host;
      int port = 0;
      if (!parse_redirect(reply, ask, host, port)) continue;
      RedisConnection conn(host, port);
      CommandArgs args;
      const float* vec = nullptr;
      if (vectors)
        for (size_t r = 0; r < vectors->ids.size(); ++r)
          if (vectors->ids[r] == id) vec = vectors->vectors.row(static_cast<Eigen::Index>(r)).data();
      const auto rec = by_id.find(id);
      build_user_set(args, options.user_prefix + id, rec == by_id.end() ? nullptr : rec->second, vec,
                     vectors ? static_cast<int>(vectors->vectors.cols()) : 0);
      conn.command({"ASKING"});
      const Reply r = conn.command(args);
      if (!r.is_error()) continue;
      if (parse_redirect(r.str, ask, host, port)) {
        todo.insert(id);  // moved on meanwhile: by slot next round
      } else {
        ++total.errors;
        if (total.first_errors.size() < 5) total.first_errors.push_back(id + ": " + r.str);
      }
    }
    asked.clear();
    if (todo.empty()) break;
    // MOVED (and the first round): by slot, per master, all masters at once.
    const std::vector<ClusterShard>& shards = topology.shards;
    std::vector<std::vector<UserRecord>> part(shards.size());
    std::vector<std::unordered_set<std::string>> ids(shards.size());
    for (const std::string& id : todo) {
      const int s = topology.shard_of(key_slot(options.user_prefix + id));
      if (s < 0 || !shards[static_cast<size_t>(s)].master())
        throw RedisError("no master serves the slot of " + options.user_prefix + id);
      ids[static_cast<size_t>(s)].insert(id);
      if (const auto rec = by_id.find(id); rec != by_id.end()) part[static_cast<size_t>(s)].push_back(*rec->second);
    }
    todo.clear();
    std::vector<ClusterNode> masters;
    std::vector<size_t> shard_of_master;
    for (size_t s = 0; s < shards.size(); ++s)
      if (!ids[s].empty()) {
        masters.push_back(*shards[s].master());
        shard_of_master.push_back(s);
      }
    std::vector<LoadSummary> results(masters.size());
    std::vector<FactorTable> tables(masters.size());
    for (size_t m = 0; m < masters.size(); ++m)
      if (vectors) tables[m] = subset(*vectors, ids[shard_of_master[m]]);
    std::mutex mu;
    for_each_node(masters, [&](RedisConnection& conn, const ClusterNode& node) {
      const size_t m = static_cast<size_t>(&node - masters.data());
      LoadOptions o = options;
      o.host = node.host;
      o.port = node.port;
      o.connections = 1;
      o.progress = ProgressBar::Mode::Never;
      LoadSummary s = load_users(conn, part[shard_of_master[m]], vectors ? &tables[m] : nullptr, o);
      std::lock_guard<std::mutex> g(mu);
      results[m] = std::move(s);
    });
    bool moved = false;
    for (LoadSummary& s : results) {
      add(total, s);
      total.records -= s.redirected.size();  // counted again where they land
      for (auto& [id, reply] : s.redirected) {
        if (reply.rfind("ASK ", 0) == 0) {
          asked.emplace_back(id, reply);
        } else {
          todo.insert(id);
          moved = true;
        }
      }
    }
    if (moved) {
      RedisConnection any(masters.front().host, masters.front().port);
      topology = read_topology(any);
    }
  }
  for (const std::string& id : todo) {
    ++total.errors;
    if (total.first_errors.size() < 5) total.first_errors.push_back(id + ": still redirected after 5 rounds");
  }
  total.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return total;
}

CopyResult copy_catalog(RedisConnection& from, const std::string& catalog, const std::vector<ClusterNode>& to) {
  CopyResult out;
  std::vector<std::string> parts;
  const auto t0 = std::chrono::steady_clock::now();
  for (int attempt = 0; attempt < 5 && parts.empty(); ++attempt) {
    long long count = 1;
    for (long long p = 0; p < count; ++p) {
      const Reply r = from.command({"RECO.CATALOG.DUMP", catalog, std::to_string(p)});
      if (r.is_error()) throw RedisError("RECO.CATALOG.DUMP " + catalog + ": " + r.str);
      if (r.type != Reply::Type::Array || r.elements.size() != 3)
        throw RedisError("RECO.CATALOG.DUMP: unexpected reply " + r.to_string());
      const auto version = static_cast<uint64_t>(r.elements[0].integer);
      if (p == 0) {
        out.version = version;
        count = r.elements[1].integer;
      } else if (version != out.version) {
        parts.clear();  // the catalog changed: the parts belong to two copies
        break;
      }
      parts.push_back(r.elements[2].str);
    }
    if (static_cast<long long>(parts.size()) != count) parts.clear();
  }
  if (parts.empty()) throw RedisError("catalog " + catalog + " kept changing while it was read");
  const auto t1 = std::chrono::steady_clock::now();
  out.parts = static_cast<long long>(parts.size());
  for (const std::string& p : parts) out.bytes += p.size();
  for_each_node(to, [&](RedisConnection& conn, const ClusterNode& node) {
    for (size_t p = 0; p < parts.size(); ++p) {
      CommandArgs args;
      args.add("RECO.CATALOG.RESTORE").add(catalog).add_int(static_cast<int64_t>(p))
          .add_int(static_cast<int64_t>(parts.size())).add(parts[p]).add("REPLACE");
      const Reply r = conn.command(args);
      if (r.is_error())
        throw RedisError("RECO.CATALOG.RESTORE " + catalog + " on " + node.address() + ": " + r.str);
    }
  });
  out.dump_seconds = std::chrono::duration<double>(t1 - t0).count();
  out.restore_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t1).count();
  return out;
}

std::vector<DigestRow> catalog_digests(const std::vector<ClusterNode>& nodes, const std::vector<std::string>& catalogs) {
  std::vector<DigestRow> rows(nodes.size() * catalogs.size());
  for (size_t n = 0; n < nodes.size(); ++n) {
    for (size_t c = 0; c < catalogs.size(); ++c) {
      DigestRow& row = rows[n * catalogs.size() + c];
      row.node = nodes[n];
      row.catalog = catalogs[c];
      try {
        RedisConnection conn(nodes[n].host, nodes[n].port);
        const Reply r = conn.command({"RECO.CATALOG.INFO", catalogs[c]});
        if (r.is_error()) {
          row.error = r.str;
          continue;
        }
        for (size_t k = 0; k + 1 < r.elements.size(); k += 2) {
          const Reply& v = r.elements[k + 1];
          const std::string text = v.type == Reply::Type::Integer ? std::to_string(v.integer) : v.str;
          if (r.elements[k].str == "digest") row.digest = text;
          if (r.elements[k].str == "version") row.version = text;
        }
      } catch (const std::exception& e) {
        row.error = e.what();
      }
    }
  }
  return rows;
}

}  // namespace reco_offline
