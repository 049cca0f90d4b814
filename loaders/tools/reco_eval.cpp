// reco-eval: judges what is served. For every user of holdout.tsv it asks the
// live module for RECO.RECOMMEND and scores the answer against the user's
// held-out ratings (hit rate, recall, NDCG at K) under two relevance definitions
// side by side (every held-out rating; only the liked ones, rating > 3, as the
// original pipeline counts; see held_out_relevance.hpp), next to baselines computed
// the same way for the same users: the module restricted to its vector source,
// the original logistic vectors served from a second catalog (when loaded, see
// --original-catalog), the module restricted to its popularity source, and,
// offline from the same files, the exact inner-product top K of the trained
// vectors and the popularity order. The served row uses the catalog's blend: the
// one stored in the catalog when the server keeps blend settings, otherwise the
// fitted blend.json sent as per-request BUDGET/WEIGHT arguments.
#include <CLI/CLI.hpp>
#include <chrono>
#include <filesystem>
#include <fmt/core.h>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "reco_offline/run_record.hpp"
#include "reco_offline/blend_fit.hpp"
#include "reco_offline/factor_files.hpp"
#include "reco_offline/held_out_relevance.hpp"
#include "reco_offline/offline_rankers.hpp"
#include "reco_offline/ranking_metrics.hpp"
#include "reco_offline/records.hpp"
#include "reco_offline/redis_client.hpp"
#include "reco_offline/text_input.hpp"

// `reco-eval similar ...`: item-to-item lists (reco_eval_similar.cpp).
namespace reco_offline::tools::eval_similar {
int run(int argc, char** argv);
}

namespace reco_offline::tools::eval {

namespace fs = std::filesystem;

namespace {

struct Method {
  std::string name;
  HeldOutAccumulator acc;
  std::string note;
  double seconds = 0;
};

std::vector<std::string> split_words(const std::string& s) {
  std::istringstream in(s);
  std::vector<std::string> out;
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

std::vector<std::string> ids_of(const Reply& reply) {
  std::vector<std::string> out;
  for (const auto& e : reply.elements) {
    if (e.type == Reply::Type::String || e.type == Reply::Type::Status) out.push_back(e.str);
    else if (e.type == Reply::Type::Array && !e.elements.empty()) out.push_back(e.elements.front().str);
  }
  return out;
}

// Runs one RECOMMEND variant for every user; returns false (with a note) if the
// module rejects it.
bool run_module(RedisConnection& conn, Method& m, const std::vector<HeldOutUser>& users, const std::string& catalog,
                const std::string& prefix, size_t k, const std::vector<std::string>& extra, size_t window) {
  const auto t0 = std::chrono::steady_clock::now();
  std::string first_error;
  size_t errors = 0;
  Pipeline pipeline(conn, window, [&](uint64_t tag, const Reply& reply) {
    if (reply.is_error()) {
      if (errors++ == 0) first_error = reply.str;
      return;
    }
    m.acc.add(ids_of(reply), users[tag]);
  });
  CommandArgs args;
  for (size_t u = 0; u < users.size(); ++u) {
    args.clear();
    args.add("RECO.RECOMMEND").add(catalog).add(prefix + users[u].id).add_int(static_cast<int64_t>(k));
    for (const auto& e : extra) args.add(e);
    pipeline.send(args, u);
  }
  pipeline.drain();
  m.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (errors) {
    m.note = fmt::format("{} errors, first: {}", errors, first_error);
    return false;
  }
  m.note = fmt::format("{:.0f} queries/s", users.size() / std::max(m.seconds, 1e-9));
  return true;
}

}  // namespace

int run(int argc, char** argv) {
  if (argc > 1 && std::string(argv[1]) == "similar") return eval_similar::run(argc - 1, argv + 1);
  CLI::App app{"reco-eval: hit rate / recall / NDCG at K of served recommendations on held-out ratings"};
  std::string dir = "data/prepared", host = "127.0.0.1", catalog = "movies", prefix = "user:", extra, json_path,
              record_path;
  std::string blend_path, original_catalog, original_prefix = "lmf:user:", model;
  int port = 6379;
  size_t k = 10, max_users = 0, window = 256;
  bool offline_only = false;
  app.add_option("--prepared,-p", dir, "prepared directory (holdout.tsv, users.tsv, items.tsv, factors)")->capture_default_str();
  app.add_option("--host,-H", host, "redis host")->capture_default_str();
  app.add_option("--port,-P", port, "redis port")->capture_default_str();
  app.add_option("--catalog,-c", catalog, "catalog name")->capture_default_str();
  app.add_option("--user-prefix", prefix, "user key prefix")->capture_default_str();
  app.add_option("-k,--k", k, "cut-off K")->check(CLI::Range(1, 10000))->capture_default_str();
  app.add_option("--users", max_users, "evaluate only the first N held-out users (0 = all)")->capture_default_str();
  app.add_option("--args", extra, "extra RECO.RECOMMEND arguments for the served row, e.g. \"BUDGET VECTOR 200\"");
  app.add_option("--window", window, "queries in flight")->capture_default_str();
  app.add_flag("--offline", offline_only, "only the offline rows (no server needed)");
  app.add_option("--json", json_path, "also write the table as JSON to this file");
  app.add_option("--record", record_path,
                 "append this evaluation (command, K, the table) to a run record, e.g. the train_log.json of the "
                 "vectors served");
  app.add_option("--blend", blend_path,
                 "blend.json to serve with when the catalog keeps no blend settings (default: <prepared>/blend.json; "
                 "'none': the module's defaults)");
  app.add_option("--original-catalog", original_catalog,
                 "catalog holding the original logistic vectors (users under --original-prefix): adds its row");
  app.add_option("--original-prefix", original_prefix, "user key prefix of the original vectors")->capture_default_str();
  app.add_option("--model", model,
                 "a ranking model version on the catalog: adds a row ranked by it (the served row then "
                 "asks for MODEL NONE, so it stays the unranked blend)");
  CLI11_PARSE(app, argc, argv);

  const auto path = [&](const char* name) { return (fs::path(dir) / name).string(); };
  try {
    const std::vector<HeldOutUser> users = held_out_users(read_rating_rows(path("holdout.tsv")), max_users);
    if (users.empty()) throw DataError(path("holdout.tsv") + ": no held-out users to evaluate");

    const std::vector<ItemRecord> items = read_items(path("items.tsv"));
    const std::vector<UserRecord> user_records = read_users(path("users.tsv"));
    std::unordered_map<std::string, const UserRecord*> record_of;
    for (const auto& u : user_records) record_of.emplace(u.id, &u);

    std::vector<Method> methods;
    methods.reserve(8);  // references handed out below stay valid
    const auto add_method = [&](std::string name) -> Method& {
      methods.push_back(Method{std::move(name), HeldOutAccumulator(k), {}, 0});
      return methods.back();
    };

    if (!offline_only) {
      RedisConnection conn(host, port);
      // The blend: the catalog's own if the server keeps blend settings, else blend.json per request.
      std::vector<std::string> served_args;
      std::string blend_note;
      const Reply stored = conn.command({"RECO.CATALOG.CONFIG", "GET", catalog});
      if (!stored.is_error()) {
        blend_note = "catalog blend";
      } else if (blend_path != "none") {
        const std::string file = blend_path.empty() ? path("blend.json") : blend_path;
        if (fs::exists(file)) {
          std::vector<std::string> unexpressed;
          served_args = blend_request_args(read_blend_json(file), &unexpressed);
          blend_note = "blend.json as request args";
          for (const auto& u : unexpressed)
            fmt::print(stderr, "reco-eval: note: {} of {} cannot be sent per request; served without it\n", u, file);
        } else if (!blend_path.empty()) {
          throw DataError(file + ": no such file");
        }
      }
      for (auto& w : split_words(extra)) served_args.push_back(std::move(w));
      if (!model.empty()) {
        // The same recall, ranked by the model: what the ranking stage adds.
        std::vector<std::string> ranked_args = served_args;
        ranked_args.insert(ranked_args.end(), {"MODEL", model});
        Method& ranked = add_method("reco RECO.RECOMMEND, ranked by model " + model);
        run_module(conn, ranked, users, catalog, prefix, k, ranked_args, window);
        served_args.insert(served_args.end(), {"MODEL", "NONE"});
      }
      Method& served = add_method(model.empty() ? "reco RECO.RECOMMEND" : "reco RECO.RECOMMEND, blend (MODEL NONE)");
      if (!extra.empty()) served.name += " " + extra;
      run_module(conn, served, users, catalog, prefix, k, served_args, window);
      if (!blend_note.empty()) served.note += ", " + blend_note;
      const std::vector<std::string> vector_only = {"BUDGET", "TERM", "0", "BUDGET", "SESSION", "0",
                                                    "BUDGET", "POPULAR", "0"};
      Method& vec = add_method("reco, vector source only");
      run_module(conn, vec, users, catalog, prefix, k, vector_only, window);
      if (!original_catalog.empty()) {
        Method& orig = add_method("reco, original logistic vectors");
        run_module(conn, orig, users, original_catalog, original_prefix, k, vector_only, window);
      }
      Method& pop = add_method("reco, popular source only");
      run_module(conn, pop, users, catalog, prefix, k,
                 {"BUDGET", "VECTOR", "0", "BUDGET", "TERM", "0", "BUDGET", "SESSION", "0"}, window);
    }

    // Offline references from the same files.
    const auto t_vec = std::chrono::steady_clock::now();
    const FactorFileSet item_files = find_factor_files(dir, "item"), user_files = find_factor_files(dir, "user");
    if (!item_files.path.empty() && !user_files.path.empty()) {
      const FactorTable item_vectors = read_factors(item_files.path, item_files.ids_path);
      const FactorTable user_vectors = read_factors(user_files.path, user_files.ids_path);
      std::unordered_map<std::string, Eigen::Index> user_row;
      for (size_t r = 0; r < user_vectors.ids.size(); ++r) user_row.emplace(user_vectors.ids[r], static_cast<Eigen::Index>(r));
      const VectorRanker ranker(item_vectors);
      Method& m = add_method("vectors only, exact (offline)");
      for (const auto& u : users) {
        const auto rec = record_of.find(u.id);
        std::unordered_set<std::string> seen;
        if (rec != record_of.end()) seen.insert(rec->second->seen.begin(), rec->second->seen.end());
        const auto row = user_row.find(u.id);
        m.acc.add(row == user_row.end() ? std::vector<std::string>{}
                                        : ranker.top(user_vectors.vectors.row(row->second).data(), k, seen),
                  u);
      }
      m.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t_vec).count();
    }
    {
      const auto t0 = std::chrono::steady_clock::now();
      const PopularityRanker ranker(items);
      Method& m = add_method("popularity (offline)");
      for (const auto& u : users) {
        const auto rec = record_of.find(u.id);
        std::unordered_set<std::string> seen;
        if (rec != record_of.end()) seen.insert(rec->second->seen.begin(), rec->second->seen.end());
        m.acc.add(ranker.top(k, seen), u);
      }
      m.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    }

    size_t liked_users = 0;
    for (const auto& u : users) liked_users += u.liked.empty() ? 0 : 1;
    fmt::print("evaluation: {} held-out users, seen items excluded, K = {}; two relevance definitions:\n", users.size(), k);
    fmt::print("  all:   every held-out rating is relevant, whatever the stars ({} users)\n", users.size());
    fmt::print("  liked: only held-out ratings > 3 are relevant, the original pipeline's definition ({} users with one)\n",
               liked_users);
    size_t w = 36;  // the method column: as wide as the longest name
    for (const auto& m : methods) w = std::max(w, m.name.size());
    const std::string hr = fmt::format("HR@{}", k), rc = fmt::format("Recall@{}", k), nd = fmt::format("NDCG@{}", k);
    fmt::print("{:<{}} {:^30}   {:^30}\n", "relevant:", w, "all held-out ratings", "liked held-out (rating > 3)");
    fmt::print("{:<{}} {:>9} {:>10} {:>9}   {:>9} {:>10} {:>9}\n", "method", w, hr, rc, nd, hr, rc, nd);
    nlohmann::json rows = nlohmann::json::array();
    const auto as_json = [](const RankingMetrics& r) {
      return nlohmann::json{{"users", r.users}, {"hit_rate", r.hit_rate}, {"recall", r.recall}, {"ndcg", r.ndcg}};
    };
    for (const auto& m : methods) {
      const HeldOutMetrics r = m.acc.result();
      if (r.all.users == 0) {
        fmt::print("{:<{}} {:>9} {:>10} {:>9}   {:>9} {:>10} {:>9}  {}\n", m.name, w, "-", "-", "-", "-", "-", "-", m.note);
        continue;
      }
      fmt::print("{:<{}} {:>9.4f} {:>10.4f} {:>9.4f}   {:>9.4f} {:>10.4f} {:>9.4f}  {}\n", m.name, w, r.all.hit_rate,
                 r.all.recall, r.all.ndcg, r.liked.hit_rate, r.liked.recall, r.liked.ndcg, m.note);
      // The top-level numbers are the "all" definition; "liked" holds the original's.
      nlohmann::json row = as_json(r.all);
      row["method"] = m.name;
      row["note"] = m.note;
      row["relevant"] = "all held-out ratings";
      row["liked"] = as_json(r.liked);
      row["liked"]["relevant"] = "held-out ratings > 3";
      rows.push_back(std::move(row));
    }
    if (!json_path.empty()) std::ofstream(json_path) << nlohmann::json{{"k", k}, {"rows", rows}}.dump(2) << "\n";
    if (!record_path.empty()) {
      nlohmann::json command = nlohmann::json::array();
      for (int i = 0; i < argc; ++i) command.push_back(argv[i]);
      append_evaluation(record_path, {{"tool", "reco-eval"}, {"command", command}, {"catalog", catalog},
                                      {"k", k}, {"users", users.size()}, {"rows", rows}});
      fmt::print("evaluation appended to the run record {}\n", record_path);
    }
  } catch (const RedisError& e) {
    fmt::print(stderr, "reco-eval: {}\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    fmt::print(stderr, "reco-eval: {}\n", e.what());
    return 1;
  }
  return 0;
}

}  // namespace reco_offline::tools::eval
