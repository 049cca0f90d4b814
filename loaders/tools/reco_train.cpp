// reco-train: trains the recall vectors (logistic factorization of user and
// item ids on the labels of the time split) from a prepared directory and
// writes them as factor files the loader reads. Prints train/test AUC per
// epoch, and an item-popularity AUC as a reference for what the factors add.
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
#include "reco_offline/factor_files.hpp"
#include "reco_offline/mf_trainer.hpp"
#include "reco_offline/popularity_prior.hpp"
#include "reco_offline/records.hpp"
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

int run(int argc, char** argv) {
  CLI::App app{"reco-train: train user/item vectors (logistic matrix factorization)"};
  std::string dir = "data/prepared", out, format = "npy";
  MfConfig config;
  bool quiet = false;
  std::string prior = "0";
  app.add_option("--prepared,-p", dir, "prepared directory (train.tsv, test.tsv)")->capture_default_str();
  app.add_option("--out,-o", out, "output directory for factor files (default: the prepared directory)");
  app.add_option("--format,-f", format, "factor file format")->check(CLI::IsMember({"npy", "csv", "tsv"}))->capture_default_str();
  app.add_option("--dim", config.dim, "vector dimension")->check(CLI::Range(1, 4096))->capture_default_str();
  app.add_option("--epochs", config.epochs, "epochs")->check(CLI::Range(0, 10000))->capture_default_str();
  app.add_option("--lr", config.learning_rate, "initial learning rate")->check(CLI::PositiveNumber)->capture_default_str();
  app.add_option("--lr-decay", config.lr_decay, "learning rate multiplier per epoch")->check(CLI::Range(0.0, 1.0))->capture_default_str();
  app.add_option("--reg", config.regularization, "L2 regularization")->check(CLI::NonNegativeNumber)->capture_default_str();
  app.add_option("--init", config.init_scale, "initial factor range")->check(CLI::PositiveNumber)->capture_default_str();
  app.add_option("--negatives", config.negatives, "sampled unrated items per rating, labelled 0 (0 = labels only)")
      ->check(CLI::Range(0, 100))->capture_default_str();
  app.add_option("--negative-weight", config.negative_weight, "loss weight of the sampled negatives")
      ->check(CLI::PositiveNumber)->capture_default_str();
  app.add_option("--seed", config.seed, "random seed")->capture_default_str();
  app.add_option("--popularity-prior", prior,
                 "append a popularity-prior dimension to the exported vectors: a weight, or 'auto' to choose it "
                 "on the test part (0 = export the factors as trained)")
      ->capture_default_str();
  app.add_flag("--quiet,-q", quiet, "no per-epoch lines");
  CLI11_PARSE(app, argc, argv);
  if (out.empty()) out = dir;

  try {
    const auto t0 = std::chrono::steady_clock::now();
    const std::vector<Rating> train = read_rating_rows((fs::path(dir) / "train.tsv").string());
    const std::vector<Rating> test = read_rating_rows((fs::path(dir) / "test.tsv").string());
    if (train.empty()) throw DataError(dir + "/train.tsv: no training rows");
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
    fs::create_directories(out);
    const auto path = [&](const std::string& name) { return (fs::path(out) / name).string(); };
    if (format == "npy") {
      write_factors(items, path("item_factors.npy"), path("item_ids.txt"));
      write_factors(users, path("user_factors.npy"), path("user_ids.txt"));
    } else {
      write_factors(items, path("item_factors." + format));
      write_factors(users, path("user_factors." + format));
    }
    nlohmann::json log = {{"dim", config.dim},       {"epochs", config.epochs},   {"learning_rate", config.learning_rate},
                          {"lr_decay", config.lr_decay}, {"regularization", config.regularization},
                          {"negatives", config.negatives}, {"negative_weight", config.negative_weight}, {"popularity_prior", alpha}, {"seed", config.seed}, {"train_rows", train.size()},
                          {"test_rows", test.size()}, {"test_auc", final_test}, {"popularity_test_auc", pop},
                          {"per_epoch", epochs}};
    std::ofstream(path("train_log.json")) << log.dump(2) << "\n";
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
