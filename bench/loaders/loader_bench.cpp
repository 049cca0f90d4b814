// Loader throughput: records per second that the pipelined bulk loader puts
// into a local redis-server with the module, for items and for users, on first
// load (creation) and on reload (replacement). Records are synthetic but shaped
// like the demo's: 17-dim FP32 vectors, 1-3 genre terms and 2 features per item;
// per user ~12 weighted terms, 3 features and a seen-set of --seen items (the
// MovieLens-1M average is ~155; the seen-set is most of a user command's size).
// The server runs on this machine, so client and server share the CPUs.
#include <CLI/CLI.hpp>
#include <fmt/core.h>

#include <algorithm>

#include "redis_server.hpp"
#include "reco_offline/bulk_loader.hpp"
#include "reco_offline/dataset.hpp"
#include "reco_offline/prng.hpp"

using namespace reco_offline;

int main(int argc, char** argv) {
  CLI::App app{"loader_bench: bulk-load throughput into a local redis-server with reco.so"};
  size_t n_items = 200000, n_users = 200000, seen = 20, window = 2000;
  int dim = 17, port = 0;
  std::string index;
  std::string module = RECO_MODULE_PATH;
  app.add_option("--items", n_items, "item records")->capture_default_str();
  app.add_option("--users", n_users, "user records")->capture_default_str();
  app.add_option("--seen", seen, "seen-set size per user")->capture_default_str();
  app.add_option("--dim", dim, "vector dimension")->capture_default_str();
  app.add_option("--window", window, "commands in flight")->capture_default_str();
  app.add_option("--index", index, "INDEX of the catalog (default: the server's, AUTO)")
      ->check(CLI::IsMember({"AUTO", "FLAT", "HNSW"}));
  app.add_option("--port", port, "use a running server on this port instead of starting one");
  app.add_option("--module", module, "module to load into the started server")->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  const auto& genres = movielens_genres();
  Rng rng(1);
  std::vector<ItemRecord> items(n_items);
  FactorTable item_vectors;
  item_vectors.vectors.resize(static_cast<Eigen::Index>(n_items), dim);
  for (size_t i = 0; i < n_items; ++i) {
    auto& it = items[i];
    it.id = std::to_string(i + 1);
    for (size_t g = 0, n = 1 + rng.below(3); g < n; ++g) {
      const std::string& t = genres[rng.below(genres.size())];
      if (std::find(it.terms.begin(), it.terms.end(), t) == it.terms.end()) it.terms.push_back(t);
    }
    it.popularity = static_cast<double>(rng.below(5000));
    it.time = 956703932 + static_cast<int64_t>(rng.below(90000000));
    it.features = {{"year", std::to_string(1920 + rng.below(81))}, {"genre", it.terms.front()}};
    item_vectors.ids.push_back(it.id);
    for (int k = 0; k < dim; ++k) item_vectors.vectors(static_cast<Eigen::Index>(i), k) = static_cast<float>(rng.normal());
  }
  std::vector<UserRecord> users(n_users);
  FactorTable user_vectors;
  user_vectors.vectors.resize(static_cast<Eigen::Index>(n_users), dim);
  for (size_t u = 0; u < n_users; ++u) {
    auto& rec = users[u];
    rec.id = std::to_string(u + 1);
    for (size_t g = 0; g < 12; ++g) rec.terms.emplace_back(genres[g], static_cast<float>(rng.uniform()));
    for (size_t s = 0; s < seen; ++s) rec.seen.push_back(std::to_string(1 + rng.below(n_items ? n_items : 1)));
    rec.features = {{"gender", rng.below(2) ? "M" : "F"}, {"age", "25"}, {"occupation", std::to_string(rng.below(21))}};
    user_vectors.ids.push_back(rec.id);
    for (int k = 0; k < dim; ++k) user_vectors.vectors(static_cast<Eigen::Index>(u), k) = static_cast<float>(rng.normal());
  }

  reco::test::RedisServer server;
  if (port == 0) {
    server.start(module);
    port = server.port();
  }
  RedisConnection conn("127.0.0.1", port);
  conn.command({"RECO.CATALOG.DROP", "bench"});
  ensure_catalog(conn, "bench", dim, "IP", index);
  LoadOptions options;
  options.catalog = "bench";
  options.user_prefix = "bench:user:";
  options.window = window;
  options.progress = ProgressBar::Mode::Never;

  fmt::print("loader_bench: {} items, {} users (seen-set {}), dim {}, index {}, window {}, server port {}\n", n_items,
             n_users, seen, dim, index.empty() ? "default" : index, window, port);
  fmt::print("{:<28} {:>10} {:>9} {:>8} {:>14}\n", "phase", "records", "errors", "time", "records/s");
  const auto report = [](const char* phase, const LoadSummary& s) {
    fmt::print("{:<28} {:>10} {:>9} {:>7.2f}s {:>14.0f}\n", phase, s.records, s.errors, s.seconds, s.rate());
  };
  if (n_items) {
    report("items, first load", load_items(conn, items, &item_vectors, options));
    report("items, reload (replace)", load_items(conn, items, &item_vectors, options));
  }
  if (n_users) {
    report("users, first load", load_users(conn, users, &user_vectors, options));
    report("users, reload (replace)", load_users(conn, users, &user_vectors, options));
  }
  conn.command({"RECO.CATALOG.DROP", "bench"});
  return 0;
}
