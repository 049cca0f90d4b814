// reco-rank (default objective "candidates"): trains the ranking stage for what
// RECO.RECOMMEND serves. The catalog as it stood when each user's test part began
// (reco-train's train_part/ vectors, popularity and time from the training rows, the
// catalog blend of blend.json) recalls every user's candidates with the engine's own
// recommend(), MODEL NONE; a candidate is positive when the user picked it among their next
// --next test items. The model (item id and genres, the user's demographics and genre
// terms, and every candidate field: each source's rank and score, the blend score,
// popularity, age) learns from all positives and --negatives sampled candidates per list;
// the users of --judge-share judge each epoch by served NDCG@K of their whole lists, and the
// best epoch is written (reco model file, run record beside it and inside). Before it
// writes, the file is re-scored with the contract scorer and must agree within 1e-5.
#include <CLI/CLI.hpp>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fmt/core.h>
#include <fstream>
#include <nlohmann/json.hpp>

#include "reco_offline/blend_fit.hpp"
#include "reco_offline/candidate_ranker.hpp"
#include "reco_offline/rank_export.hpp"
#include "reco_offline/rank_scorer.hpp"
#include "reco_offline/rank_trainer.hpp"
#include "reco_offline/run_record.hpp"
#include "reco_offline/text_input.hpp"

namespace reco_offline::tools::rank_candidates {

namespace fs = std::filesystem;

namespace {

std::vector<int> layer_sizes(const std::string& text) {
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

FactorTable read_vectors(const fs::path& dir, const char* kind) {
  const FactorFileSet f = find_factor_files(dir.string(), kind);
  if (f.path.empty()) throw DataError(dir.string() + ": no " + std::string(kind) + " factor files");
  return read_factors(f.path, f.ids_path);
}

double sigmoid(double z) { return 1.0 / (1.0 + std::exp(-z)); }

}  // namespace

int run(int argc, char** argv) {
  CLI::App app{"reco-rank: train the ranking stage on RECO.RECOMMEND's own candidates (default objective) and export it"};
  std::string dir = "data/prepared", vectors, out, layers = "32,16", prefix = "user:", objective = "candidates";
  RankConfig config;
  config.epochs = 12;
  config.patience = 3;
  config.lr_decay = 0.8f;
  config.penalty.l2 = 1e-5f;
  int dim = 8;
  size_t k = 50, next = 10, negatives = 100, check_rows = 5000;
  double judge_share = 0.2;
  bool quiet = false, item_id = false;
  std::string candidates_out;
  app.add_option("--objective", objective, "candidates: learn to order what recall serves; rated: the original "
                 "ranker (liked, given rated; see --objective rated --help)")->capture_default_str();
  app.add_option("--prepared,-p", dir, "prepared directory (items.tsv, users.tsv, train/test.tsv)")->capture_default_str();
  app.add_option("--vectors", vectors, "reco-train's output: its train_part/ vectors recall the training candidates, "
                 "its blend.json is the catalog blend (default: the prepared directory)");
  app.add_option("--out,-o", out, "model file (default: <prepared>/rank_model.safetensors)");
  app.add_option("-k", k, "K of the served request (the popular budget follows it) and of the judging NDCG")
      ->check(CLI::Range(1, 10000))->capture_default_str();
  app.add_option("--next", next, "test items per user that count as what was picked next")
      ->check(CLI::Range(1, 100000))->capture_default_str();
  app.add_option("--negatives", negatives, "candidates sampled as negatives per training list (0: every candidate)")
      ->capture_default_str();
  app.add_option("--judge-share", judge_share, "share of users whose lists judge the epochs (early stopping)")
      ->check(CLI::Range(0.01, 0.9))->capture_default_str();
  app.add_option("--dim", dim, "FM embedding size")->check(CLI::Range(1, 1024))->capture_default_str();
  app.add_option("--mlp", layers, "MLP hidden sizes, comma-separated (none: no MLP)")->capture_default_str();
  app.add_option("--epochs", config.epochs, "maximum epochs")->check(CLI::Range(0, 10000))->capture_default_str();
  app.add_option("--patience", config.patience, "stop after this many epochs without a better judging NDCG (0: never)")
      ->check(CLI::Range(0, 10000))->capture_default_str();
  app.add_option("--batch", config.batch, "rows per Adam step")->check(CLI::Range(1, 1 << 20))->capture_default_str();
  app.add_option("--lr", config.learning_rate, "Adam learning rate")->check(CLI::PositiveNumber)->capture_default_str();
  app.add_option("--lr-decay", config.lr_decay, "learning rate multiplier after every epoch")->check(CLI::Range(0.0, 1.0))->capture_default_str();
  app.add_option("--l2", config.penalty.l2, "L2 on the embedding and linear rows a batch uses")->check(CLI::NonNegativeNumber)->capture_default_str();
  app.add_option("--mlp-l2", config.penalty.mlp_l2, "L2 on the MLP weights")->check(CLI::NonNegativeNumber)->capture_default_str();
  app.add_option("--init", config.init_sd, "standard deviation of the initial embeddings")->check(CLI::PositiveNumber)->capture_default_str();
  app.add_option("--seed", config.seed, "random seed")->capture_default_str();
  app.add_option("--user-prefix", prefix, "user key prefix the loader uses")->capture_default_str();
  app.add_flag("--item-id", item_id, "also learn an item id field (linear + FM; on the generated set it overfits "
               "within an epoch: bench/RESULTS.md)");
  app.add_option("--write-candidates", candidates_out, "also write every list (user, item, label, candidate values) "
                 "as TSV, for training a ranker elsewhere");
  app.add_option("--check-rows", check_rows, "rows re-scored from the written file")->capture_default_str();
  app.add_flag("--quiet,-q", quiet, "no per-epoch lines");
  CLI11_PARSE(app, argc, argv);
  if (objective != "candidates") {
    fmt::print(stderr, "reco-rank: --objective {} is not candidates or rated\n", objective);
    return 2;
  }
  if (vectors.empty()) vectors = dir;
  if (out.empty()) out = (fs::path(dir) / "rank_model.safetensors").string();
  config.train_auc = false;

  try {
    const auto t0 = std::chrono::steady_clock::now();
    const std::vector<int> hidden = layer_sizes(layers);
    const CandidateWorld world = world_at_test_start(dir, next);
    fs::path recall_dir = fs::path(vectors) / "train_part";
    if (find_factor_files(recall_dir.string(), "item").path.empty()) {
      recall_dir = vectors;
      fmt::print("note: {} has no train_part/ vectors; the served vectors recall the training candidates (they have "
                 "seen the test part, so the vector source looks better than it will be)\n", vectors);
    }
    const FactorTable item_vectors = read_vectors(recall_dir, "item"), user_vectors = read_vectors(recall_dir, "user");
    const fs::path blend_path = fs::path(vectors) / "blend.json";
    const reco::BlendConfig blend = fs::exists(blend_path) ? read_blend_json(blend_path.string()) : reco::BlendConfig{};
    const std::vector<CandidateList> lists = recall_candidates(world, item_vectors, user_vectors, blend, k);
    const CandidateSplit split = split_candidate_lists(world, lists, judge_share, config.seed);
    if (!candidates_out.empty()) write_candidate_lists(candidates_out, world, lists);
    const RankSchema schema = make_candidate_schema(world, lists, split.train, prefix, dim, hidden, item_id);
    const RankEncoder encoder(schema);
    const RankRows train = encode_candidates(world, lists, split.train, encoder, prefix, negatives, config.seed);
    std::vector<size_t> judge_offsets;
    const RankRows judge = encode_candidates(world, lists, split.judge, encoder, prefix, 0, config.seed, &judge_offsets);
    const RankLayout layout = rank_layout(schema);
    size_t candidates = 0, positives = 0;
    for (const CandidateList& l : lists) {
      candidates += l.items.size();
      for (uint8_t y : l.label) positives += y;
    }
    const RankingMetrics blend_judge = served_metrics(world, lists, split.judge, judge_offsets, {}, k);
    fmt::print("candidates: {} users, {:.0f} per list (K {}, blend of {}), {:.2f} of the next {} items per user "
               "recalled; {} training lists ({} rows: positives + {} sampled), {} judging lists ({} rows); {:.1f}s\n",
               lists.size(), double(candidates) / std::max<size_t>(1, lists.size()), k, blend_path.filename().string(),
               double(positives) / std::max<size_t>(1, lists.size()), next, split.train.size(), train.size(), negatives,
               split.judge.size(), judge.size(),
               std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    fmt::print("model: FM dim {} over {} fields + {} candidate fields (linear + MLP), MLP [{}]; judging users' "
               "NDCG@{} of the blend: {:.4f}\n", dim, layout.cat_rows.size() + layout.multi_rows.size(), layout.n_plain,
               layers, k, blend_judge.ndcg);
    if (!quiet) fmt::print("{:>5}  {:>8}  {:>8}  {:>9}  {:>6}\n", "epoch", "loss", "judge AUC", "NDCG@" + std::to_string(k), "time");
    nlohmann::json epochs = nlohmann::json::array();
    const StopMetric ndcg = [&](const RankModel& m) {
      return served_metrics(world, lists, split.judge, judge_offsets, m.logits(judge), k).ndcg;
    };
    const RankResult result = train_rank(layout, train, judge, config, [&](const RankEpoch& e) {
      if (!quiet) {
        fmt::print("{:>5}  {:>8.4f}  {:>9.4f}  {:>8.4f}  {:>5.1f}s{}\n", e.epoch, e.loss, e.test_auc, e.metric, e.seconds,
                   e.best ? "  *" : "");
        std::fflush(stdout);
      }
      epochs.push_back({{"epoch", e.epoch}, {"loss", e.loss}, {"judge_auc", e.test_auc}, {"judge_ndcg", e.metric},
                        {"seconds", e.seconds}});
    }, ndcg);
    fmt::print("best epoch {}: judging users' NDCG@{} {:.4f} ranked vs {:.4f} blend ({:.2f}x)\n", result.best_epoch, k,
               result.best_metric, blend_judge.ndcg, blend_judge.ndcg > 0 ? result.best_metric / blend_judge.ndcg : 0.0);

    nlohmann::json log = run_record("reco-rank", argc, argv,
                                    {fs::path(dir) / "items.tsv", fs::path(dir) / "users.tsv",
                                     fs::path(dir) / "train.tsv", fs::path(dir) / "test.tsv",
                                     recall_dir / "item_factors.npy", recall_dir / "user_factors.npy"});
    log.update({{"objective", "candidates"}, {"k", k}, {"next", next}, {"negatives", negatives},
                {"judge_share", judge_share}, {"dim", dim}, {"mlp", layout.hidden}, {"epochs", config.epochs},
                {"patience", config.patience}, {"batch", config.batch}, {"learning_rate", config.learning_rate},
                {"lr_decay", config.lr_decay}, {"l2", config.penalty.l2}, {"mlp_l2", config.penalty.mlp_l2},
                {"init_sd", config.init_sd}, {"seed", config.seed}, {"user_prefix", prefix},
                {"train_rows", train.size()}, {"judge_rows", judge.size()}, {"best_epoch", result.best_epoch},
                {"judge_ndcg", result.best_metric}, {"judge_blend_ndcg", blend_judge.ndcg}, {"per_epoch", epochs}});
    ModelFile file = export_rank_model(schema, result.model);
    file.run = log.dump();
    const std::string bytes = serialize_model_file(file);
    const ModelFileScorer scorer(parse_model_file(bytes, out));
    double worst = 0;
    size_t checked = 0;
    if (judge.size() && check_rows) {
      const std::vector<float> z = result.model.logits(judge);
      const size_t stride = std::max<size_t>(1, judge.size() / check_rows);
      for (size_t n = 0; n < split.judge.size(); ++n) {
        const CandidateList& list = lists[split.judge[n]];
        for (size_t i = 0; i < list.items.size(); ++i) {
          const size_t row = judge_offsets[n] + i;
          if (row % stride) continue;
          const double s = scorer.score(candidate_input(world, list, i, prefix));
          worst = std::max(worst, std::abs(s - sigmoid(z[row])));
          ++checked;
        }
      }
    }
    fmt::print("file check: {} candidates re-scored from the model file, max |difference| {:.2e}\n", checked, worst);
    if (!(worst <= 1e-5)) throw DataError("the exported model does not score like the trainer");
    if (!fs::path(out).parent_path().empty()) fs::create_directories(fs::path(out).parent_path());
    write_model_file(out, file);
    log["file_check_max_diff"] = worst;
    fs::path log_path = fs::path(out).replace_extension(".json");
    if (log_path == fs::path(out)) log_path = out + ".log.json";
    std::ofstream(log_path) << log.dump(2) << "\n";
    fmt::print("wrote {} ({:.1f} MB, {} parameters), {} in {:.1f}s\n", out, bytes.size() / 1e6,
               result.model.params().size(), log_path.string(),
               std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  } catch (const std::exception& e) {
    fmt::print(stderr, "reco-rank: {}\n", e.what());
    return 1;
  }
  return 0;
}

}  // namespace reco_offline::tools::rank_candidates
