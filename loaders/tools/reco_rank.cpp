// reco-rank --objective rated: trains the original pipeline's ranking model
// (linear + FM + MLP over user id, item id, demographics, item genres and the
// user's point-in-time genre statistics; label: liked, given rated) on a prepared directory's time split, with early stopping on
// the test AUC, and writes the model file (reco model file contract v1) and
// the users file with the online genre statistics as features. Before it
// writes anything it scores sample rows with the file it is about to write
// and stops if those scores differ from the trainer's.
#include <CLI/CLI.hpp>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fmt/core.h>
#include <fstream>
#include <nlohmann/json.hpp>
#include <unordered_map>

#include "reco_offline/auc.hpp"
#include "reco_offline/rank_export.hpp"
#include "reco_offline/rank_features.hpp"
#include "reco_offline/rank_scorer.hpp"
#include "reco_offline/rank_trainer.hpp"
#include "reco_offline/run_record.hpp"
#include "reco_offline/text_input.hpp"

// The default objective, "candidates" (reco_rank_candidates.cpp).
namespace reco_offline::tools::rank_candidates {
int run(int argc, char** argv);
}

namespace reco_offline::tools::rank {

namespace fs = std::filesystem;

namespace {

std::vector<int> parse_layers(const std::string& text) {
  std::vector<int> out;
  if (text.empty() || text == "0" || text == "none") return out;
  std::vector<std::string_view> parts;
  split_fields(text, ",", parts);
  for (auto p : parts) {
    int64_t v = 0;
    if (!parse_int(trim(p), v) || v < 1 || v > 65536) throw std::invalid_argument("--mlp must be sizes like 64,32");
    out.push_back(static_cast<int>(v));
  }
  return out;
}

double popularity_auc(const RankData& d) {
  std::unordered_map<Id, float> count;
  for (const auto& r : d.train.rows) count[r.item] += 1;
  std::vector<float> scores;
  std::vector<uint8_t> labels;
  for (const auto& r : d.test.rows) {
    const auto it = count.find(r.item);
    scores.push_back(it == count.end() ? 0.0f : it->second);
    labels.push_back(is_positive(r) ? 1 : 0);
  }
  return roc_auc(scores, labels);
}

double sigmoid(double z) { return 1.0 / (1.0 + std::exp(-z)); }

}  // namespace

int run(int argc, char** argv) {
  // The objective picks the trainer; each has its own options (and --help).
  std::string objective = "candidates";
  for (int i = 1; i + 1 < argc; ++i)
    if (std::string(argv[i]) == "--objective") objective = argv[i + 1];
  for (int i = 1; i < argc; ++i)
    if (std::string(argv[i]).rfind("--objective=", 0) == 0) objective = std::string(argv[i]).substr(12);
  if (objective != "rated") return rank_candidates::run(argc, argv);

  CLI::App app{"reco-rank --objective rated: train the original ranker (liked, given rated; linear + FM + MLP) and export it"};
  std::string dir = "data/prepared", out, users_out, layers = "64,32", prefix = "user:";
  RankConfig config;
  int dim = 16;
  size_t window = 10, check_rows = 5000;
  bool quiet = false, no_train_auc = false;
  app.add_option("--objective", objective, "rated: the original ranker; candidates (the default): see reco-rank --help")
      ->capture_default_str();
  app.add_option("--prepared,-p", dir, "prepared directory (items.tsv, users.tsv, train/test/holdout.tsv)")->capture_default_str();
  app.add_option("--out,-o", out, "model file (default: <prepared>/rank_model.safetensors)");
  app.add_option("--users-out", users_out, "users file with the genre statistics (default: <prepared>/users_rank.tsv)");
  app.add_option("--dim", dim, "FM embedding size")->check(CLI::Range(1, 1024))->capture_default_str();
  app.add_option("--mlp", layers, "MLP hidden sizes, comma-separated (none: no MLP)")->capture_default_str();
  app.add_option("--epochs", config.epochs, "maximum epochs")->check(CLI::Range(0, 10000))->capture_default_str();
  app.add_option("--patience", config.patience, "stop after this many epochs without a better test AUC (0: never)")
      ->check(CLI::Range(0, 10000))->capture_default_str();
  app.add_option("--batch", config.batch, "rows per Adam step")->check(CLI::Range(1, 1 << 20))->capture_default_str();
  app.add_option("--lr", config.learning_rate, "Adam learning rate")->check(CLI::PositiveNumber)->capture_default_str();
  app.add_option("--lr-decay", config.lr_decay, "learning rate multiplier after every epoch")->check(CLI::Range(0.0, 1.0))->capture_default_str();
  app.add_option("--l2", config.penalty.l2, "L2 on the embedding and linear rows a batch uses")->check(CLI::NonNegativeNumber)->capture_default_str();
  app.add_option("--mlp-l2", config.penalty.mlp_l2, "L2 on the MLP weights")->check(CLI::NonNegativeNumber)->capture_default_str();
  app.add_option("--init", config.init_sd, "standard deviation of the initial embeddings")->check(CLI::PositiveNumber)->capture_default_str();
  app.add_option("--seed", config.seed, "random seed")->capture_default_str();
  app.add_option("--window", window, "ratings behind the genre statistics")->check(CLI::Range(1, 100000))->capture_default_str();
  app.add_option("--user-prefix", prefix, "user key prefix the loader uses (the user_id vocabulary is prefix + id)")->capture_default_str();
  app.add_option("--check-rows", check_rows, "test rows re-scored from the written file")->capture_default_str();
  app.add_flag("--no-train-auc", no_train_auc, "skip the AUC pass over the training rows");
  app.add_flag("--quiet,-q", quiet, "no per-epoch lines");
  CLI11_PARSE(app, argc, argv);
  if (out.empty()) out = (fs::path(dir) / "rank_model.safetensors").string();
  if (users_out.empty()) users_out = (fs::path(dir) / "users_rank.tsv").string();
  config.train_auc = !no_train_auc;

  try {
    const auto t0 = std::chrono::steady_clock::now();
    const std::vector<int> hidden = parse_layers(layers);
    const RankData data = load_rank_data(dir, window);
    const RankSchema schema = make_rank_schema(data, prefix, dim, hidden);
    const RankEncoder encoder(schema);
    const RankRows train = encode_part(data, data.train, encoder);
    const RankRows test = encode_part(data, data.test, encoder);
    const RankRows holdout = encode_part(data, data.holdout, encoder);
    const RankLayout layout = rank_layout(schema);
    const double prep_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    fmt::print("{} train / {} test / {} held-out rows (label: rating > 3); {} fields ({} categorical, {} multi, {} dense "
               "genre statistics over the last {} ratings); prepared in {:.1f}s\n",
               train.size(), test.size(), holdout.size(), layout.slots(), layout.cat_rows.size(),
               layout.multi_rows.size(), layout.n_dense, window, prep_s);
    fmt::print("model: FM dim {}, MLP {} -> [{}] -> 1; Adam lr {} (x{} per epoch), batch {}, l2 {}, mlp l2 {}, seed {}\n", dim,
               layout.mlp_input(), layers, config.learning_rate, config.lr_decay, config.batch, config.penalty.l2,
               config.penalty.mlp_l2, config.seed);
    if (!quiet) fmt::print("{:>5}  {:>8}  {:>9}  {:>8}  {:>6}\n", "epoch", "loss", "train AUC", "test AUC", "time");
    nlohmann::json epochs = nlohmann::json::array();
    const RankResult result = train_rank(layout, train, test, config, [&](const RankEpoch& e) {
      if (!quiet) {
        fmt::print("{:>5}  {:>8.4f}  {:>9}  {:>8.4f}  {:>5.1f}s{}\n", e.epoch, e.loss,
                   config.train_auc ? fmt::format("{:.4f}", e.train_auc) : "-", e.test_auc, e.seconds,
                   e.best ? "  *" : "");
        std::fflush(stdout);
      }
      epochs.push_back({{"epoch", e.epoch}, {"loss", e.loss}, {"train_auc", e.train_auc}, {"test_auc", e.test_auc},
                        {"seconds", e.seconds}});
    });
    const double holdout_auc = holdout.size() ? rank_auc(result.model, holdout) : 0.5;
    const double pop = popularity_auc(data);
    fmt::print("best epoch {}: test AUC {:.4f}; held-out (last {} per user, not used for stopping) AUC {:.4f}; "
               "item popularity alone: test AUC {:.4f}\n",
               result.best_epoch, result.best_test_auc, 10, holdout_auc, pop);

    // The run record goes into the file (what is known before the file check) and, with the
    // check's result, next to it.
    nlohmann::json log = run_record("reco-rank", argc, argv,
                                    {fs::path(dir) / "items.tsv", fs::path(dir) / "users.tsv",
                                     fs::path(dir) / "train.tsv", fs::path(dir) / "test.tsv",
                                     fs::path(dir) / "holdout.tsv"});
    log.update({{"dim", dim}, {"mlp", layout.hidden}, {"epochs", config.epochs}, {"patience", config.patience},
                {"batch", config.batch}, {"learning_rate", config.learning_rate}, {"lr_decay", config.lr_decay},
                {"l2", config.penalty.l2}, {"mlp_l2", config.penalty.mlp_l2}, {"init_sd", config.init_sd},
                {"seed", config.seed}, {"window", window}, {"user_prefix", prefix}, {"train_rows", train.size()},
                {"test_rows", test.size()}, {"best_epoch", result.best_epoch}, {"test_auc", result.best_test_auc},
                {"holdout_auc", holdout_auc}, {"popularity_test_auc", pop}, {"per_epoch", epochs}});
    // The file must score like the trainer before anything is written.
    ModelFile file = export_rank_model(schema, result.model);
    file.run = log.dump();
    const std::string bytes = serialize_model_file(file);
    const ModelFileScorer scorer(parse_model_file(bytes, out));
    const size_t n_check = std::min(check_rows, data.test.rows.size());
    double worst = 0;
    if (n_check) {
      std::vector<uint32_t> idx(n_check);
      const size_t stride = data.test.rows.size() / n_check;
      for (size_t k = 0; k < n_check; ++k) idx[k] = static_cast<uint32_t>(k * stride);
      std::vector<float> z(n_check);
      result.model.logits(test, idx.data(), n_check, z.data());
      for (size_t k = 0; k < n_check; ++k) {
        const double s = scorer.score(rank_input(data, data.test, idx[k], prefix));
        worst = std::max(worst, std::abs(s - sigmoid(z[k])));
      }
    }
    fmt::print("file check: {} test rows re-scored from the model file, max |difference| {:.2e}\n", n_check, worst);
    if (!(worst <= 1e-5)) throw DataError("the exported model does not score like the trainer");

    for (const auto& target : {fs::path(out), fs::path(users_out)})
      if (!target.parent_path().empty()) fs::create_directories(target.parent_path());
    write_model_file(out, file);
    write_users(users_out, users_with_statistics(data));
    log["file_check_max_diff"] = worst;
    fs::path log_path = fs::path(out).replace_extension(".json");
    if (log_path == fs::path(out)) log_path = out + ".log.json";
    std::ofstream(log_path) << log.dump(2) << "\n";
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    fmt::print("wrote {} ({:.1f} MB, {} parameters), {} ({} users with {} genre statistics), {} in {:.1f}s\n", out,
               bytes.size() / 1e6, result.model.params().size(), users_out, data.users.size(), layout.n_dense,
               log_path.string(), secs);
  } catch (const std::exception& e) {
    fmt::print(stderr, "reco-rank: {}\n", e.what());
    return 1;
  }
  return 0;
}

}  // namespace reco_offline::tools::rank
