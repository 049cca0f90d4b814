// reco-train: trains the recall vectors from a prepared directory and writes
// them as factor files the loader reads, with the catalog blend fitted for them.
// Two objectives:
//   next-item  (default) implicit feedback over the whole catalog: BPR with
//              sampled negatives and an item bias (bpr_trainer.hpp), for what a
//              user rates next; prints loss and time per epoch;
//   logistic   the original pipeline's model: like vs. dislike among rated items
//              (mf_trainer.hpp); prints train/test AUC per epoch and an
//              item-popularity AUC as a reference.
// The blend (reco/blend.hpp) is then fitted on the test part with the engine's own
// recommend() and written to blend.json next to the factors; reco-load sends it.
// Next-item vectors are fitted on the training part (so that the blend is chosen
// on data they have not seen) and then, by default, retrained on training + test
// with the same settings for serving: everything before the held-out part.
// Each objective has its own defaults (BprConfig and MfConfig); the options they
// share (--dim, --epochs, ...) show both in --help, and --show-config prints the
// settings a command line resolves to without training.
#include <CLI/CLI.hpp>
#include <chrono>
#include <filesystem>
#include <fmt/core.h>
#include <fstream>
#include <nlohmann/json.hpp>
#include <cmath>
#include <cstdlib>
#include <unordered_map>

#include "reco_offline/auc.hpp"
#include "reco_offline/blend_fit.hpp"
#include "reco_offline/bpr_search.hpp"
#include "reco_offline/bpr_trainer.hpp"
#include "reco_offline/factor_files.hpp"
#include "reco_offline/mf_trainer.hpp"
#include "reco_offline/popularity_prior.hpp"
#include "reco_offline/records.hpp"
#include "reco_offline/run_record.hpp"
#include "reco_offline/text_input.hpp"

namespace reco_offline::tools::train {

namespace fs = std::filesystem;

namespace {

double popularity_auc(const std::vector<Rating>& train, const std::vector<Rating>& test) {
  std::unordered_map<Id, float> count;
  for (const auto& r : train) count[r.item] += 1;
  std::vector<float> scores;
  std::vector<uint8_t> labels;
  for (const auto& r : test) {
    const auto it = count.find(r.item);
    scores.push_back(it == count.end() ? 0.0f : it->second);
    labels.push_back(is_positive(r) ? 1 : 0);
  }
  return roc_auc(scores, labels);
}

}  // namespace

struct BlendOptions {
  std::string mode = "fit";
  bool prior = false;
  size_t users = 2000;
  size_t k = 50;
};

// Fits the blend for exported factors on the test part; writes blend.json.
void fit_and_write_blend(const std::string& dir, const std::string& out, const FactorTable& items,
                         const FactorTable& users, const std::vector<Rating>& train, const BlendOptions& opt,
                         nlohmann::json& log) {
  namespace fs = std::filesystem;
  const auto t0 = std::chrono::steady_clock::now();
  const std::vector<ItemRecord> records = read_items((fs::path(dir) / "items.tsv").string());
  std::vector<std::vector<WeightedTerm>> test_terms;
  const std::vector<Rating> test = read_rating_rows((fs::path(dir) / "test.tsv").string(), &test_terms);
  const BlendBench bench(records, items, users, train, test, test_terms, 10, opt.users);
  reco::BlendConfig base;
  const BlendFit fit = fit_blend(bench, base, opt.k, opt.prior);
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  fmt::print("blend fitted on the test part ({} users, next 10 test items each, K = {}, {} blends in {:.1f}s):\n",
             bench.users(), opt.k, fit.tried.size(), secs);
  reco::BlendConfig vec_only = base, pop_only = base;
  vec_only.source(reco::Source::Term).budget = 0;
  vec_only.source(reco::Source::Popular).budget = 0;
  pop_only.source(reco::Source::Vector).budget = 0;
  pop_only.source(reco::Source::Term).budget = 0;
  const RankingMetrics mv = bench.evaluate(vec_only, opt.k), mp = bench.evaluate(pop_only, opt.k);
  const auto line = [&](const char* name, const RankingMetrics& m) {
    fmt::print("  {:<28} HR@{} {:.4f}  Recall@{} {:.4f}  NDCG@{} {:.4f}\n", name, opt.k, m.hit_rate, opt.k, m.recall,
               opt.k, m.ndcg);
  };
  line("vector source only", mv);
  line("popular source only", mp);
  line("fitted blend", fit.best_metrics);
  std::string chosen;
  for (const auto& [name, value] : reco::blend_params(fit.best)) chosen += fmt::format(" {}={}", name, value);
  fmt::print("  chosen:{}\n", chosen);
  nlohmann::json info = {{"fitted_on", "test part, next 10 items of each user"},
                         {"users", bench.users()},
                         {"k", opt.k},
                         {"ndcg", fit.best_metrics.ndcg},
                         {"hit_rate", fit.best_metrics.hit_rate},
                         {"vector_only_ndcg", mv.ndcg},
                         {"popular_only_ndcg", mp.ndcg}};
  write_blend_json((fs::path(out) / "blend.json").string(), fit.best, info.dump());
  log["blend"] = info;
}

namespace {

// "next-item 32, logistic 16": the help text of an option both objectives read.
template <class A, class B>
std::string both(const A& next_item, const B& logistic) {
  if (fmt::format("{}", next_item) == fmt::format("{}", logistic)) return fmt::format("{}", next_item);
  return fmt::format("next-item {}, logistic {}", next_item, logistic);
}
template <class A>
std::string next_item_only(const A& v) { return fmt::format("next-item {}", v); }
template <class A>
std::string logistic_only(const A& v) { return fmt::format("logistic {}", v); }

}  // namespace

int run(int argc, char** argv) {
  CLI::App app{"reco-train: train user/item vectors (next-item BPR or the original logistic factorization)"};
  std::string dir = "data/prepared", out, format = "npy", objective = "next-item";
  const BprConfig bpr_default;
  const MfConfig mf_default;
  MfConfig config;  // what the shared options parse into; next-item takes only those given
  BprConfig bpr;
  BlendOptions blend_opt;
  bool quiet = false, no_refit = false, show_config = false;
  std::string prior = "0", search;
  std::size_t search_users = 0;
  app.add_option("--objective", objective,
                 "next-item: BPR over the whole catalog with an item bias; logistic: like vs. dislike among rated items")
      ->check(CLI::IsMember({"next-item", "logistic"}))->capture_default_str();
  app.add_option("--prepared,-p", dir, "prepared directory (train.tsv, test.tsv)")->capture_default_str();
  app.add_option("--out,-o", out, "output directory for factor files (default: the prepared directory)");
  app.add_option("--format,-f", format, "factor file format")->check(CLI::IsMember({"npy", "csv", "tsv"}))->capture_default_str();
  app.add_option("--dim", config.dim, "vector dimension")->check(CLI::Range(1, 4096))
      ->default_str(both(bpr_default.dim, mf_default.dim));
  app.add_option("--epochs", config.epochs, "epochs")->check(CLI::Range(0, 10000))
      ->default_str(both(bpr_default.epochs, mf_default.epochs));
  app.add_option("--lr", config.learning_rate, "initial learning rate")->check(CLI::PositiveNumber)
      ->default_str(both(bpr_default.learning_rate, mf_default.learning_rate));
  app.add_option("--lr-decay", config.lr_decay, "learning rate multiplier per epoch")->check(CLI::Range(0.0, 1.0))
      ->default_str(both(bpr_default.lr_decay, mf_default.lr_decay));
  app.add_option("--reg", config.regularization, "L2 regularization")->check(CLI::NonNegativeNumber)
      ->default_str(both(bpr_default.regularization, mf_default.regularization));
  app.add_option("--init", config.init_scale, "initial factor range")->check(CLI::PositiveNumber)
      ->default_str(both(bpr_default.init_scale, mf_default.init_scale));
  app.add_option("--negatives", config.negatives,
                 "next-item: candidates per step, the highest-scoring trained against (at least 1); logistic: "
                 "sampled unrated items per rating, labelled 0 (0 = labels only)")
      ->check(CLI::Range(0, 100))->default_str(both(bpr_default.negatives, mf_default.negatives));
  app.add_option("--negative-weight", config.negative_weight, "logistic: loss weight of the sampled negatives")
      ->check(CLI::PositiveNumber)->default_str(logistic_only(mf_default.negative_weight));
  app.add_option("--seed", config.seed, "random seed")->default_str(both(bpr_default.seed, mf_default.seed));
  app.add_option("--bias-reg", bpr.bias_regularization, "next-item: L2 on the item bias")
      ->check(CLI::NonNegativeNumber)->default_str(next_item_only(bpr_default.bias_regularization));
  app.add_option("--rating-weight", bpr.rating_weight,
                 "next-item: loss weight 1 + w * (stars - 3) / 2 per interaction (0 = every rating alike)")
      ->default_str(next_item_only(bpr_default.rating_weight));
  app.add_option("--negative-popularity", bpr.negative_popularity,
                 "next-item: draw negatives with probability ~ count^this (0 = uniform)")
      ->check(CLI::Range(0.0, 2.0))->default_str(next_item_only(bpr_default.negative_popularity));
  app.add_flag("--no-refit", no_refit, "next-item: export the vectors trained on the training part only");
  app.add_option("--search", search,
                 "next-item: grid search before training, e.g. \"dim=16,32 negatives=1,5 lr=0.05,0.1 reg=0.005\" "
                 "(also epochs, bias-reg; at most 64 combinations): each trains on the training part and is scored "
                 "by NDCG@50 of its exact top 50 on the test part; the best one is fitted and exported");
  app.add_option("--search-users", search_users, "next-item: users scored per search trial (0 = all)")
      ->default_str(next_item_only(0));
  app.add_option("--blend", blend_opt.mode, "fit: choose the catalog blend on the test part and write blend.json")
      ->check(CLI::IsMember({"fit", "none"}))->capture_default_str();
  app.add_flag("--blend-prior", blend_opt.prior, "let the blend fit also try the popularity/recency term");
  app.add_option("--blend-users", blend_opt.users, "users in the blend fit (0 = all)")->capture_default_str();
  app.add_option("--popularity-prior", prior,
                 "logistic: append a popularity-prior dimension to the exported vectors: a weight, or 'auto' to "
                 "choose it on the test part (0 = export the factors as trained)")
      ->default_str(logistic_only(prior));
  app.add_flag("--quiet,-q", quiet, "no per-epoch lines");
  app.add_flag("--show-config", show_config, "print the settings this command line trains with (JSON) and exit");
  CLI11_PARSE(app, argc, argv);
  if (out.empty()) out = dir;
  const auto given = [&](const char* name) { return app.count(name) > 0; };
  const bool next_item = objective == "next-item";
  for (const char* name : {"--negative-weight", "--popularity-prior"}) {
    if (next_item && given(name)) {
      fmt::print(stderr, "reco-train: {} applies to --objective logistic only\n", name);
      return 2;
    }
  }
  for (const char* name : {"--bias-reg", "--rating-weight", "--negative-popularity", "--no-refit", "--search",
                           "--search-users"}) {
    if (!next_item && given(name)) {
      fmt::print(stderr, "reco-train: {} applies to --objective next-item only\n", name);
      return 2;
    }
  }
  if (!search.empty()) {
    try {
      parse_search(search);
    } catch (const std::invalid_argument& e) {
      fmt::print(stderr, "reco-train: {}\n", e.what());
      return 2;
    }
  }
  if (next_item) {
    // Shared options keep the next-item defaults unless given.
    if (given("--dim")) bpr.dim = config.dim;
    if (given("--epochs")) bpr.epochs = config.epochs;
    if (given("--lr")) bpr.learning_rate = config.learning_rate;
    if (given("--lr-decay")) bpr.lr_decay = config.lr_decay;
    if (given("--reg")) bpr.regularization = config.regularization;
    if (given("--init")) bpr.init_scale = config.init_scale;
    if (given("--negatives")) bpr.negatives = std::max(1, config.negatives);
    if (given("--seed")) bpr.seed = config.seed;
  }
  if (show_config) {
    // Keyed by option name, so that a test can hold it against --help.
    nlohmann::json c = {{"--objective", objective}, {"--prepared", dir}, {"--out", out}, {"--format", format},
                        {"--blend", blend_opt.mode}, {"--blend-prior", blend_opt.prior},
                        {"--blend-users", blend_opt.users}};
    if (next_item) {
      c.update({{"--dim", bpr.dim}, {"--epochs", bpr.epochs}, {"--lr", bpr.learning_rate},
                {"--lr-decay", bpr.lr_decay}, {"--reg", bpr.regularization}, {"--init", bpr.init_scale},
                {"--negatives", bpr.negatives}, {"--seed", bpr.seed}, {"--bias-reg", bpr.bias_regularization},
                {"--rating-weight", bpr.rating_weight}, {"--negative-popularity", bpr.negative_popularity},
                {"--no-refit", no_refit}, {"--search-users", search_users}});
    } else {
      c.update({{"--dim", config.dim}, {"--epochs", config.epochs}, {"--lr", config.learning_rate},
                {"--lr-decay", config.lr_decay}, {"--reg", config.regularization}, {"--init", config.init_scale},
                {"--negatives", config.negatives}, {"--seed", config.seed},
                {"--negative-weight", config.negative_weight}, {"--popularity-prior", prior}});
    }
    fmt::print("{}\n", c.dump(2));
    return 0;
  }

  try {
    const auto t0 = std::chrono::steady_clock::now();
    const std::vector<Rating> train = read_rating_rows((fs::path(dir) / "train.tsv").string());
    const std::vector<Rating> test = read_rating_rows((fs::path(dir) / "test.tsv").string());
    if (train.empty()) throw DataError(dir + "/train.tsv: no training rows");
    const auto path = [&](const std::string& name) { return (fs::path(out) / name).string(); };
    // train_log.json is the run record (run_record.hpp): the run, its data, then the log.
    const auto write_record = [&](const nlohmann::json& log) {
      nlohmann::json record = run_record("reco-train", argc, argv,
                                         {fs::path(dir) / "items.tsv", fs::path(dir) / "train.tsv",
                                          fs::path(dir) / "test.tsv"});
      record.update(log);
      std::ofstream(path("train_log.json")) << record.dump(2) << "\n";
    };
    const auto write = [&](const FactorTable& items, const FactorTable& users) {
      fs::create_directories(out);
      if (format == "npy") {
        write_factors(items, path("item_factors.npy"), path("item_ids.txt"));
        write_factors(users, path("user_factors.npy"), path("user_ids.txt"));
      } else {
        write_factors(items, path("item_factors." + format));
        write_factors(users, path("user_factors." + format));
      }
    };
    nlohmann::json search_log;
    if (objective == "next-item" && !search.empty()) {
      const std::vector<SearchAxis> axes = parse_search(search);
      fmt::print("search: {} on the training part, scored by NDCG@50 on the test part ({} users)\n", search,
                 search_users ? std::to_string(search_users) : std::string("all"));
      nlohmann::json trials = nlohmann::json::array();
      const std::vector<SearchTrial> done = search_bpr(train, test, bpr, axes, 50, search_users, [&](const SearchTrial& t) {
        std::string point;
        nlohmann::json j;
        for (const auto& [name, v] : t.point) {
          point += fmt::format("{}{}={}", point.empty() ? "" : " ", name, v);
          j[name] = v;
        }
        fmt::print("  {:<40} NDCG@50 {:.4f} ({} users)\n", point, t.ndcg, t.users);
        std::fflush(stdout);
        trials.push_back({{"point", j}, {"ndcg_at_50", t.ndcg}, {"users", t.users}});
      });
      const size_t best = best_trial(done);
      bpr = done[best].config;
      fmt::print("search: chose trial {} (NDCG@50 {:.4f})\n", best + 1, done[best].ndcg);
      search_log = {{"spec", search}, {"metric", "NDCG@50 of the exact top 50 on the test part, training items skipped"},
                    {"trials", trials}, {"chosen", best}};
    }
    if (objective == "next-item") {
      fmt::print("next-item vectors (BPR, item bias, {} sampled negative{} per step{}): {} training interactions; "
                 "dim {}, {} epochs, lr {}, reg {}, bias reg {}, seed {}\n",
                 bpr.negatives, bpr.negatives > 1 ? "s, the highest-scoring trained against" : "",
                 bpr.negative_popularity > 0 ? fmt::format(", drawn ~ count^{}", bpr.negative_popularity) : "",
                 train.size(), bpr.dim, bpr.epochs, bpr.learning_rate, bpr.regularization, bpr.bias_regularization,
                 bpr.seed);
      nlohmann::json epochs = nlohmann::json::array();
      double epoch_seconds = 0, epoch_cpu = 0;
      if (!quiet) fmt::print("{:>5}  {:>8}  {:>7}  {:>7}\n", "epoch", "loss", "wall", "cpu");
      const auto report = [&](const BprEpochReport& r) {
        if (!quiet) {
          fmt::print("{:>5}  {:>8.4f}  {:>6.2f}s  {:>6.2f}s\n", r.epoch, r.loss, r.seconds, r.cpu_seconds);
          std::fflush(stdout);
        }
        epoch_seconds += r.seconds;
        epoch_cpu += r.cpu_seconds;
        epochs.push_back({{"epoch", r.epoch}, {"loss", r.loss}, {"seconds", r.seconds}, {"cpu_seconds", r.cpu_seconds}});
      };
      const BprModel model = train_bpr(train, bpr, report);
      const double per_epoch = bpr.epochs ? epoch_seconds / bpr.epochs : 0;
      const double cpu_per_epoch = bpr.epochs ? epoch_cpu / bpr.epochs : 0;
      fmt::print("time per epoch: {:.3f}s wall, {:.3f}s CPU ({} interactions, {:.2f} M steps per CPU second)\n",
                 per_epoch, cpu_per_epoch, train.size(), cpu_per_epoch > 0 ? train.size() / cpu_per_epoch / 1e6 : 0.0);
      nlohmann::json log = {{"objective", "next-item"}, {"dim", bpr.dim}, {"epochs", bpr.epochs},
                            {"learning_rate", bpr.learning_rate}, {"lr_decay", bpr.lr_decay},
                            {"regularization", bpr.regularization}, {"bias_regularization", bpr.bias_regularization},
                            {"negatives", bpr.negatives}, {"rating_weight", bpr.rating_weight},
                            {"negative_popularity", bpr.negative_popularity}, {"seed", bpr.seed},
                            {"train_rows", train.size()}, {"test_rows", test.size()},
                            {"seconds_per_epoch", per_epoch}, {"cpu_seconds_per_epoch", cpu_per_epoch},
                            {"per_epoch", epochs}};
      if (!search_log.is_null()) log["search"] = search_log;
      FactorTable items = bpr_item_factors(model), users = bpr_user_factors(model);
      fs::create_directories(out);
      if (blend_opt.mode == "fit") fit_and_write_blend(dir, out, items, users, train, blend_opt, log);
      if (!no_refit) {
        // The vectors of the training part stay beside the served ones: reco-rank recalls
        // its training candidates with them (what the catalog held before the test part).
        const fs::path part = fs::path(out) / "train_part";
        fs::create_directories(part);
        write_factors(items, (part / "item_factors.npy").string(), (part / "item_ids.txt").string());
        write_factors(users, (part / "user_factors.npy").string(), (part / "user_ids.txt").string());
        log["train_part_vectors"] = part.string();
        std::vector<Rating> all = train;
        all.insert(all.end(), test.begin(), test.end());
        fmt::print("retraining on training + test ({} interactions) for serving\n", all.size());
        epochs = nlohmann::json::array();
        const bool was_quiet = quiet;
        quiet = true;
        epoch_seconds = 0;
        epoch_cpu = 0;
        const BprModel served = train_bpr(all, bpr, report);
        quiet = was_quiet;
        items = bpr_item_factors(served);
        users = bpr_user_factors(served);
        log["refit"] = {{"rows", all.size()},
                        {"seconds_per_epoch", bpr.epochs ? epoch_seconds / bpr.epochs : 0},
                        {"cpu_seconds_per_epoch", bpr.epochs ? epoch_cpu / bpr.epochs : 0}};
      }
      write(items, users);
      write_record(log);
      const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      fmt::print("wrote {} item and {} user vectors ({} + 1 bias dimension, {}) to {} in {:.1f}s\n", items.ids.size(),
                 users.ids.size(), bpr.dim, format, out, secs);
      return 0;
    }
    fmt::print("training on {} rows, testing on {} (label: rating > 3); dim {}, {} epochs, lr {}, reg {}, seed {}{}\n",
               train.size(), test.size(), config.dim, config.epochs, config.learning_rate, config.regularization,
               config.seed, config.negatives ? fmt::format(", {} sampled negatives per row (weight {})", config.negatives, config.negative_weight) : "");
    nlohmann::json epochs = nlohmann::json::array();
    if (!quiet) fmt::print("{:>5}  {:>8}  {:>9}  {:>8}  {:>6}\n", "epoch", "loss", "train AUC", "test AUC", "time");
    const MfModel model = train_mf(train, test, config, [&](const EpochReport& r) {
      if (!quiet) {
        fmt::print("{:>5}  {:>8.4f}  {:>9.4f}  {:>8.4f}  {:>5.1f}s\n", r.epoch, r.loss, r.train_auc, r.test_auc, r.seconds);
        std::fflush(stdout);
      }
      epochs.push_back({{"epoch", r.epoch}, {"loss", r.loss}, {"train_auc", r.train_auc}, {"test_auc", r.test_auc}});
    });
    const double final_test = rating_auc(model, test);
    const double pop = popularity_auc(train, test);
    fmt::print("test AUC {:.4f} (item popularity alone: {:.4f})\n", final_test, pop);

    FactorTable users = user_factors(model), items = item_factors(model);
    double alpha = 0;
    if (prior == "auto") {
      const PriorChoice c = choose_popularity_prior(model, train, test, {0, 0.5, 1, 1.5, 2, 3, 4});
      std::string tried;
      for (const auto& [a, hr] : c.tried) tried += fmt::format(" {}:{:.3f}", a, hr);
      fmt::print("popularity prior: weight {} chosen by HR@10 on the test part (weight:HR{})\n", c.alpha, tried);
      alpha = c.alpha;
    } else {
      char* end = nullptr;
      alpha = std::strtod(prior.c_str(), &end);
      if (prior.empty() || *end != '\0' || !(alpha >= 0) || !std::isfinite(alpha)) {
        throw std::invalid_argument("--popularity-prior must be 'auto' or a weight >= 0");
      }
    }
    if (alpha > 0) {
      std::unordered_map<std::string, double> popularity;
      for (const auto* part : {&train, &test})
        for (const auto& r : *part) popularity[std::to_string(r.item)] += 1;
      const float s = append_popularity_prior(users, items, popularity, alpha);
      fmt::print("exporting {} + 1 dimensions: item[{}] = {:.4g} * log(1 + ratings), user[{}] = {:.4g}\n", config.dim,
                 config.dim, s, config.dim, alpha / s);
    }
    write(items, users);
    nlohmann::json log = {{"objective", "logistic"}, {"dim", config.dim},       {"epochs", config.epochs},   {"learning_rate", config.learning_rate},
                          {"lr_decay", config.lr_decay}, {"regularization", config.regularization},
                          {"negatives", config.negatives}, {"negative_weight", config.negative_weight}, {"popularity_prior", alpha}, {"seed", config.seed}, {"train_rows", train.size()},
                          {"test_rows", test.size()}, {"test_auc", final_test}, {"popularity_test_auc", pop},
                          {"per_epoch", epochs}};
    if (blend_opt.mode == "fit") fit_and_write_blend(dir, out, items, users, train, blend_opt, log);
    write_record(log);
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    fmt::print("wrote {} item and {} user vectors ({}) to {} in {:.1f}s\n", items.ids.size(), users.ids.size(), format,
               out, secs);
  } catch (const std::exception& e) {
    fmt::print(stderr, "reco-train: {}\n", e.what());
    return 1;
  }
  return 0;
}

}  // namespace reco_offline::tools::train
