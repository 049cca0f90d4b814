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
// Idempotent: every field is sent in full and SET replaces, so re-running
// leaves the same state. Exit status: 0 ok, 1 some records failed, 2 nothing
// could be loaded (bad files, no server, catalog of another dimension).
#include <CLI/CLI.hpp>
#include <chrono>
#include <filesystem>
#include <fmt/core.h>
#include <optional>

#include "reco_offline/bias_dim.hpp"
#include "reco_offline/blend_fit.hpp"
#include "reco_offline/bulk_loader.hpp"
#include "reco_offline/text_input.hpp"

namespace reco_offline::tools::load {

namespace fs = std::filesystem;

int run(int argc, char** argv) {
  CLI::App app{"reco-load: bulk-load items and users into the reco module"};
  std::string dir, host = "127.0.0.1", items_path, users_path, item_vectors, item_ids, user_vectors, user_ids,
              progress = "auto", only, blend_path, bias_dim = "auto";
  int port = 6379;
  bool drop = false;
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
  if (!do_items && !do_users) {
    fmt::print(stderr, "reco-load: nothing to load (give --prepared DIR or item/user files)\n");
    return 2;
  }

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
    if (do_items) {
      if (drop) {
        const Reply r = conn.command({"RECO.CATALOG.DROP", options.catalog});
        fmt::print("catalog {}: {}\n", options.catalog, r.is_error() ? "nothing to drop" : "dropped");
      }
      const int dim = ivec ? static_cast<int>(ivec->vectors.cols()) : 0;
      if (dim > 0) {
        const bool created = ensure_catalog(conn, options.catalog, dim, options.metric, options.index);
        const std::string metric = created ? options.metric : catalog_info_field(conn, options.catalog, "metric");
        fmt::print("catalog {}: {} (dim {}, metric {})\n", options.catalog, created ? "created" : "exists, kept", dim,
                   metric);
        if (!created && metric != options.metric) {
          fmt::print(stderr, "reco-load: note: catalog {} keeps its metric {}, not {} (use --drop to recreate it)\n",
                     options.catalog, metric, options.metric);
        }
      } else if (catalog_info_field(conn, options.catalog, "dim").empty()) {
        throw DataError("catalog \"" + options.catalog + "\" does not exist and no item vectors give its dimension");
      }
      if (!bias_dim.empty() && send_bias_dim(conn, options.catalog, bias_dim))
        fmt::print("catalog {}: BIAS_DIM {} ({})\n", options.catalog, bias_dim, bias_why);
      summaries.push_back(load_items(conn, items, ivec ? &*ivec : nullptr, options));
      if (blend) {
        CommandArgs cmd;
        cmd.add("RECO.CATALOG.CONFIG").add("SET").add(options.catalog);
        std::string shown;
        for (const auto& [name, value] : reco::blend_params(*blend)) {
          cmd.add(name).add(fmt::format("{}", value));
          shown += fmt::format(" {} {}", name, value);
        }
        const Reply r = conn.command(cmd);
        if (!r.is_error()) {
          fmt::print("catalog {}: blend set from {}:{}\n", options.catalog, blend_path, shown);
        } else if (r.str.find("unknown command") != std::string::npos) {
          fmt::print(stderr,
                     "reco-load: warning: this server has no RECO.CATALOG.CONFIG; the blend of {} was not stored "
                     "(send it per request: reco-eval does)\n",
                     blend_path);
        } else {
          throw DataError("RECO.CATALOG.CONFIG refused the blend of " + blend_path + ": " + r.str);
        }
      }
    }
    if (do_users) summaries.push_back(load_users(conn, users, uvec ? &*uvec : nullptr, options));
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
