// reco-load: bulk-loads items and users into a running redis-server with the
// reco module, over one pipelined connection with FP32 vector blobs.
// Reads a prepared directory (items.tsv, users.tsv, factor files) or explicit
// files; factor files made elsewhere (.npy + ids, .csv, .tsv) work alone.
// With a blend.json (written by reco-train next to the factors) it also sets the
// catalog's blend with RECO.CATALOG.CONFIG SET <catalog>; a server without that
// command gets a warning, and the blend can still be sent per request.
// It also tells the catalog which dimension of the item vectors is an item bias
// (BIAS_DIM, for item-to-item queries): --bias-dim, by default read from the
// train_log.json reco-train writes next to the factors (bias_dim.hpp).
// In a Redis Cluster (detected with INFO cluster, or --cluster yes) it reads the
// topology with CLUSTER SHARDS, does the node-level writes (catalog, items, blend,
// BIAS_DIM, models) on every master at once and sends each user to the master of
// its slot, following MOVED and ASK. --copy-from copies a catalog from another node
// (RECO.CATALOG.DUMP / RESTORE) instead of re-inserting its items; --check compares
// every catalog's digest on every node and names those that differ.
// Idempotent: every field is sent in full and SET replaces, so re-running
// leaves the same state. Exit status: 0 ok, 1 some records failed (or --check
// found nodes that differ), 2 nothing could be loaded (bad files, no server,
// catalog of another dimension).
#include <CLI/CLI.hpp>
#include <chrono>
#include <filesystem>
#include <fmt/core.h>
#include <map>
#include <mutex>
#include <set>
#include <optional>
#include <sstream>
#include <thread>

#include "reco_offline/bias_dim.hpp"
#include "reco_offline/blend_fit.hpp"
#include "reco_offline/bulk_loader.hpp"
#include "reco_offline/cluster_loader.hpp"
#include "reco_offline/rank_export.hpp"
#include "reco_offline/text_input.hpp"

namespace reco_offline::tools::load {

namespace fs = std::filesystem;

namespace {

// --check: every catalog any master lists, on every node; 1 if some node differs.
int check_digests(const std::string& host, int port, const std::string& cluster_mode, double wait_s) {
  try {
    RedisConnection conn(host, port);
    const bool cluster = cluster_mode == "yes" || (cluster_mode == "auto" && cluster_enabled(conn));
    std::vector<ClusterNode> nodes{ClusterNode{"", host, port, true, "online"}};
    if (cluster) nodes = read_topology(conn).nodes();
    // Failed nodes (the cluster's view) are named and left out; the others must answer.
    std::vector<ClusterNode> failed;
    std::erase_if(nodes, [&](const ClusterNode& n) {
      if (n.health != "fail") return false;
      failed.push_back(n);
      return true;
    });
    for (const ClusterNode& n : failed) fmt::print("{:<22} failed (the cluster's view): not checked\n", n.address());
    std::set<std::string> names;
    for (const ClusterNode& n : nodes) {
      RedisConnection c(n.host, n.port);
      const Reply r = c.command({"RECO.CATALOG.LIST"});
      if (r.is_error()) throw RedisError("RECO.CATALOG.LIST on " + n.address() + ": " + r.str);
      for (const Reply& e : r.elements) names.insert(e.str);
    }
    const std::vector<std::string> catalogs(names.begin(), names.end());
    // Replicas apply their master's stream a little later: nodes that differ are read
    // again for up to `wait_s` before they are reported.
    const auto agree = [](const std::vector<DigestRow>& rows) {
      std::map<std::string, std::set<std::string>> d;
      for (const DigestRow& r : rows) d[r.catalog].insert(r.error.empty() ? r.digest : "missing");
      for (const auto& [c, digests] : d)
        if (digests.size() != 1 || digests.count("missing")) return false;
      return true;
    };
    std::vector<DigestRow> rows = catalog_digests(nodes, catalogs);
    const auto t0 = std::chrono::steady_clock::now();
    while (!agree(rows) && std::chrono::steady_clock::now() - t0 < std::chrono::duration<double>(wait_s)) {
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      rows = catalog_digests(nodes, catalogs);
    }
    fmt::print("{:<22} {:<7} {:<16} {:<34} {}\n", "node", "role", "catalog", "digest", "version");
    std::map<std::string, std::map<std::string, int>> seen;  // catalog -> digest -> nodes
    for (const DigestRow& r : rows) {
      fmt::print("{:<22} {:<7} {:<16} {:<34} {}\n", r.node.address(), r.node.master ? "master" : "replica", r.catalog,
                 r.error.empty() ? r.digest : "(" + r.error + ")", r.version);
      ++seen[r.catalog][r.error.empty() ? r.digest : "missing"];
    }
    int differ = 0;
    for (const std::string& c : catalogs) {
      const auto& d = seen[c];
      if (d.size() == 1 && !d.count("missing")) continue;
      // The digest most nodes hold is taken as the reference; the others are named.
      std::string common;
      int most = 0;
      for (const auto& [digest, n] : d)
        if (n > most && digest != "missing") most = n, common = digest;
      for (const DigestRow& r : rows)
        if (r.catalog == c && (r.error.empty() ? r.digest : "missing") != common) {
          fmt::print("DIFFERS: catalog {} on {} ({})\n", c, r.node.address(), r.error.empty() ? r.digest : r.error);
          ++differ;
        }
    }
    if (catalogs.empty()) fmt::print("no catalogs on {} node{}\n", nodes.size(), nodes.size() == 1 ? "" : "s");
    else if (!differ) fmt::print("all {} nodes hold the same {} catalog{}\n", nodes.size(), catalogs.size(),
                                 catalogs.size() == 1 ? "" : "s");
    return differ ? 1 : 0;
  } catch (const std::exception& e) {
    fmt::print(stderr, "reco-load: {}\n", e.what());
    return 2;
  }
}

}  // namespace

int run(int argc, char** argv) {
  CLI::App app{"reco-load: bulk-load items and users into the reco module (one node or a cluster)"};
  std::string dir, host = "127.0.0.1", items_path, users_path, item_vectors, item_ids, user_vectors, user_ids,
              progress = "auto", only, blend_path, bias_dim = "auto";
  int port = 6379;
  bool drop = false, check = false, rollback = false;
  double check_wait = 5;
  std::string cluster_mode = "auto", copy_from, model_put, activate;
  LoadOptions options;
  app.add_option("--prepared,-p", dir, "prepared directory: items.tsv, users.tsv, {item,user}_factors.{npy,csv,tsv}");
  app.add_option("--items", items_path, "items file (items.tsv)");
  app.add_option("--users", users_path, "users file (users.tsv)");
  app.add_option("--item-vectors", item_vectors, "item factors (.npy, .csv, .tsv)");
  app.add_option("--item-ids", item_ids, "id list for a .npy item factor file (.txt or .npy)");
  app.add_option("--user-vectors", user_vectors, "user factors (.npy, .csv, .tsv)");
  app.add_option("--user-ids", user_ids, "id list for a .npy user factor file (.txt or .npy)");
  app.add_option("--blend", blend_path, "catalog blend settings (default: <prepared>/blend.json if present; 'none': skip)");
  app.add_option("--bias-dim", bias_dim,
                 "which item-vector dimension is an item bias (BIAS_DIM of the catalog: LAST, NONE or an index); "
                 "auto: from train_log.json next to the item factors, else left as the catalog has it")
      ->check([](const std::string& v) { return valid_bias_dim_option(v) ? "" : "must be auto, LAST, NONE or an index"; })
      ->capture_default_str();
  app.add_option("--only", only, "load only items or only users")->check(CLI::IsMember({"items", "users"}));
  app.add_option("--host,-H", host, "redis host")->capture_default_str();
  app.add_option("--port,-P", port, "redis port")->capture_default_str();
  app.add_option("--catalog,-c", options.catalog, "catalog name")->capture_default_str();
  app.add_option("--user-prefix", options.user_prefix, "user key prefix")->capture_default_str();
  app.add_option("--metric", options.metric, "metric when the catalog is created")
      ->check(CLI::IsMember({"IP", "COSINE", "L2"}))->capture_default_str();
  app.add_option("--index", options.index,
                 "INDEX when the catalog is created (default: the server's, AUTO); FLAT loads fastest")
      ->check(CLI::IsMember({"AUTO", "FLAT", "HNSW"}));
  app.add_option("--window", options.window, "commands in flight, per connection")
      ->check(CLI::Range(1, 1000000))->capture_default_str();
  app.add_option("--connections", options.connections,
                 "connections to load through, records dealt round-robin; more than 1 lets a graph catalog plan "
                 "inserts in parallel on the server's workers, but the order of writes (and so the graph) then "
                 "differs from run to run")
      ->check(CLI::Range(1, 64))->capture_default_str();
  app.add_flag("--drop", drop, "drop the catalog first (a clean reload; user keys are replaced anyway)");
  app.add_option("--cluster", cluster_mode, "auto: a cluster when the node says so (INFO cluster); yes; no: the one node")
      ->check(CLI::IsMember({"auto", "yes", "no"}))->capture_default_str();
  app.add_option("--copy-from", copy_from, "HOST:PORT: copy the catalog from that node (graph included, "
                 "RECO.CATALOG.DUMP/RESTORE) to the node, or to every master of a cluster, instead of loading items");
  app.add_flag("--check", check, "compare every catalog's digest on every node (masters and replicas), name those "
               "that differ (exit status 1); loads nothing");
  app.add_option("--check-wait", check_wait, "seconds --check reads nodes that differ again (replicas apply their "
                 "master's stream a little later) before it reports them")->check(CLI::Range(0.0, 3600.0))
      ->capture_default_str();
  app.add_option("--model", model_put, "NAME=FILE: put a ranking model version (a reco model file) on the catalog, "
                 "on every master");
  app.add_option("--activate", activate, "NAME: activate that model version, on every master");
  app.add_flag("--rollback", rollback, "roll the catalog's active model back, on every master");
  app.add_option("--progress", progress, "progress bar")->check(CLI::IsMember({"auto", "always", "never"}))->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  options.progress = progress == "always" ? ProgressBar::Mode::Always
                     : progress == "never" ? ProgressBar::Mode::Never : ProgressBar::Mode::Auto;

  const auto in_dir = [&](const char* name) { return (fs::path(dir) / name).string(); };
  if (!dir.empty()) {
    if (items_path.empty() && fs::exists(in_dir("items.tsv"))) items_path = in_dir("items.tsv");
    if (users_path.empty() && fs::exists(in_dir("users.tsv"))) users_path = in_dir("users.tsv");
    if (item_vectors.empty()) {
      const auto f = find_factor_files(dir, "item");
      item_vectors = f.path;
      if (item_ids.empty()) item_ids = f.ids_path;
    }
    if (user_vectors.empty()) {
      const auto f = find_factor_files(dir, "user");
      user_vectors = f.path;
      if (user_ids.empty()) user_ids = f.ids_path;
    }
  }
  if (!dir.empty() && blend_path.empty() && fs::exists(in_dir("blend.json"))) blend_path = in_dir("blend.json");
  if (blend_path == "none") blend_path.clear();
  const bool do_items = only != "users" && (!items_path.empty() || !item_vectors.empty());
  const bool do_users = only != "items" && (!users_path.empty() || !user_vectors.empty());
  const bool do_models = !model_put.empty() || !activate.empty() || rollback;
  if (!check && copy_from.empty() && !do_models && !do_items && !do_users) {
    fmt::print(stderr, "reco-load: nothing to load (give --prepared DIR or item/user files)\n");
    return 2;
  }
  if (check) return check_digests(host, port, cluster_mode, check_wait);

  std::vector<LoadSummary> summaries;
  try {
    // Read and check every file before touching the server: bad input changes nothing.
    const auto t_read = std::chrono::steady_clock::now();
    std::vector<ItemRecord> items;
    std::vector<UserRecord> users;
    std::optional<FactorTable> ivec, uvec;
    if (do_items && !items_path.empty()) items = read_items(items_path);
    if (do_items && !item_vectors.empty()) ivec = read_factors(item_vectors, item_ids);
    if (do_users && !users_path.empty()) users = read_users(users_path);
    if (do_users && !user_vectors.empty()) uvec = read_factors(user_vectors, user_ids);
    std::optional<reco::BlendConfig> blend;
    if (do_items && !blend_path.empty()) blend = read_blend_json(blend_path);
    std::string bias_why = "--bias-dim";
    if (bias_dim == "auto" || bias_dim == "AUTO") {
      std::optional<std::string> found;
      if (do_items && !item_vectors.empty())
        found = bias_dim_from_train_log(fs::path(item_vectors).parent_path().string(), &bias_why);
      bias_dim = found ? *found : "";
    }
    if (ivec && uvec && ivec->vectors.cols() != uvec->vectors.cols()) {
      throw DataError("item vectors have dimension " + std::to_string(ivec->vectors.cols()) + ", user vectors " +
                      std::to_string(uvec->vectors.cols()));
    }
    const double read_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t_read).count();
    fmt::print("read {} items ({} vectors), {} users ({} vectors) in {:.2f}s\n", items.size(),
               ivec ? ivec->ids.size() : 0, users.size(), uvec ? uvec->ids.size() : 0, read_s);

    RedisConnection conn(host, port);
    options.host = host;
    options.port = port;
    const bool cluster = cluster_mode == "yes" || (cluster_mode == "auto" && cluster_enabled(conn));
    ClusterTopology topology;
    std::vector<ClusterNode> targets{ClusterNode{"", host, port, true, "online"}};
    if (cluster) {
      topology = read_topology(conn);
      targets = topology.masters();
      if (targets.empty()) throw RedisError("the cluster has no master");
      fmt::print("cluster: {} masters ({} nodes); node-level writes go to every master, users to their slot's\n",
                 targets.size(), topology.nodes().size());
      if (targets.size() > 1) options.progress = ProgressBar::Mode::Never;
    }
    std::optional<std::string> model_bytes;
    std::string model_name;
    if (!model_put.empty()) {
      const size_t eq = model_put.find('=');
      if (eq == std::string::npos || eq == 0) throw DataError("--model takes NAME=FILE");
      model_name = model_put.substr(0, eq);
      model_bytes = read_whole_file(model_put.substr(eq + 1));
    }
    std::optional<CopyResult> copied;
    if (!copy_from.empty()) {
      const size_t colon = copy_from.rfind(':');
      int64_t from_port = 0;
      if (colon == std::string::npos || !parse_int(std::string_view(copy_from).substr(colon + 1), from_port))
        throw DataError("--copy-from takes HOST:PORT");
      RedisConnection from(copy_from.substr(0, colon), static_cast<int>(from_port));
      copied = copy_catalog(from, options.catalog, targets);
      fmt::print("catalog {}: copied from {} (version {}, {} bytes in {} parts) to {} node{}: read {:.2f}s, "
                 "restored {:.2f}s\n", options.catalog, copy_from, copied->version, copied->bytes, copied->parts,
                 targets.size(), targets.size() == 1 ? "" : "s", copied->dump_seconds, copied->restore_seconds);
    }

    // The node-level writes, on every target at once; each target's lines are printed together.
    std::mutex mu;
    std::map<std::string, std::string> said;
    const bool many = targets.size() > 1;
    for_each_node(targets, [&](RedisConnection& c, const ClusterNode& node) {
      std::ostringstream log;
      const std::string at = many ? " on " + node.address() : "";
      LoadOptions o = options;
      o.host = node.host;
      o.port = node.port;
      std::optional<LoadSummary> summary;
      if (do_items && !copied) {
        if (drop) {
          const Reply r = c.command({"RECO.CATALOG.DROP", o.catalog});
          log << fmt::format("catalog {}{}: {}\n", o.catalog, at, r.is_error() ? "nothing to drop" : "dropped");
        }
        const int dim = ivec ? static_cast<int>(ivec->vectors.cols()) : 0;
        if (dim > 0) {
          const bool created = ensure_catalog(c, o.catalog, dim, o.metric, o.index);
          const std::string metric = created ? o.metric : catalog_info_field(c, o.catalog, "metric");
          log << fmt::format("catalog {}{}: {} (dim {}, metric {})\n", o.catalog, at,
                             created ? "created" : "exists, kept", dim, metric);
          if (!created && metric != o.metric)
            log << fmt::format("note: catalog {} keeps its metric {}, not {} (use --drop to recreate it)\n", o.catalog,
                               metric, o.metric);
        } else if (catalog_info_field(c, o.catalog, "dim").empty()) {
          throw DataError("catalog \"" + o.catalog + "\" does not exist and no item vectors give its dimension");
        }
        if (!bias_dim.empty() && send_bias_dim(c, o.catalog, bias_dim))
          log << fmt::format("catalog {}{}: BIAS_DIM {} ({})\n", o.catalog, at, bias_dim, bias_why);
        summary = load_items(c, items, ivec ? &*ivec : nullptr, o);
        if (many) summary->what = "items@" + node.address();
        if (blend) {
          CommandArgs cmd;
          cmd.add("RECO.CATALOG.CONFIG").add("SET").add(o.catalog);
          std::string shown;
          for (const auto& [name, value] : reco::blend_params(*blend)) {
            cmd.add(name).add(fmt::format("{}", value));
            shown += fmt::format(" {} {}", name, value);
          }
          const Reply r = c.command(cmd);
          if (!r.is_error()) {
            log << fmt::format("catalog {}{}: blend set from {}:{}\n", o.catalog, at, blend_path, shown);
          } else if (r.str.find("unknown command") != std::string::npos) {
            log << fmt::format("warning: this server has no RECO.CATALOG.CONFIG; the blend of {} was not stored "
                               "(send it per request: reco-eval does)\n", blend_path);
          } else {
            throw DataError("RECO.CATALOG.CONFIG refused the blend of " + blend_path + ": " + r.str);
          }
        }
      }
      // Models: put, activate, roll back, in that order, on every master.
      const auto model_command = [&](std::vector<std::string> args, const std::string& what) {
        CommandArgs cmd;
        for (const auto& a : args) cmd.add(a);
        const Reply r = c.command(cmd);
        if (r.is_error()) throw RedisError(what + at + ": " + r.str);
        log << fmt::format("catalog {}{}: {}\n", o.catalog, at, what);
      };
      if (model_bytes) model_command({"RECO.MODEL.PUT", o.catalog, model_name, *model_bytes}, "model " + model_name + " put");
      if (!activate.empty()) model_command({"RECO.MODEL.ACTIVATE", o.catalog, activate}, "model " + activate + " active");
      if (rollback) model_command({"RECO.MODEL.ROLLBACK", o.catalog}, "model rolled back");
      std::lock_guard<std::mutex> g(mu);
      said[node.address()] = log.str();
      if (summary) summaries.push_back(std::move(*summary));
    });
    for (const auto& [node, text] : said) fmt::print("{}", text);
    if (do_users)
      summaries.push_back(cluster ? load_users_cluster(topology, users, uvec ? &*uvec : nullptr, options)
                                  : load_users(conn, users, uvec ? &*uvec : nullptr, options));
  } catch (const DataError& e) {
    fmt::print(stderr, "reco-load: {}\n", e.what());
    return 2;
  } catch (const RedisError& e) {
    fmt::print(stderr, "reco-load: {}\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    fmt::print(stderr, "reco-load: {}\n", e.what());
    return 2;
  }

  if (summaries.empty()) return 0;  // a copy or model commands only: said above
  uint64_t errors = 0, records = 0;
  double seconds = 0;
  fmt::print("{:<6} {:>10} {:>12} {:>9} {:>8} {:>12}\n", "", "records", "with vector", "errors", "time", "rate");
  for (const auto& s : summaries) {
    fmt::print("{:<6} {:>10} {:>12} {:>9} {:>7.2f}s {:>10.0f}/s\n", s.what, s.records, s.with_vector, s.errors,
               s.seconds, s.rate());
    for (const auto& e : s.first_errors) fmt::print(stderr, "  {} error: {}\n", s.what, e);
    errors += s.errors;
    records += s.records;
    seconds += s.seconds;
  }
  fmt::print("total  {:>10} records, {} errors, {:.2f}s, {:.0f} records/s\n", records, errors, seconds,
             seconds > 0 ? records / seconds : 0.0);
  return errors ? 1 : 0;
}

}  // namespace reco_offline::tools::load
