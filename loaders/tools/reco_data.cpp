// reco-data: the data steps of the offline pipeline.
//   generate  write a deterministic MovieLens-1M-layout data set of any size
//   prepare   read MovieLens files (1M / 100K / latest, auto-detected), split in
//             time, compute point-in-time terms, write the prepared directory
//   convert   convert factor files between .npy (+ id list), .csv and .tsv
// Exit status: 0 ok, 1 bad input (message names file and line), 2 usage.
#include <CLI/CLI.hpp>
#include <chrono>
#include <filesystem>
#include <fmt/core.h>
#include <fstream>
#include <nlohmann/json.hpp>

#include "reco_offline/factor_files.hpp"
#include "reco_offline/movielens.hpp"
#include "reco_offline/prepare.hpp"
#include "reco_offline/synthetic.hpp"
#include "reco_offline/text_input.hpp"

namespace reco_offline::tools::data {

namespace fs = std::filesystem;

namespace {

double since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

int run_generate(const SyntheticConfig& config, const std::string& out) {
  const auto t0 = std::chrono::steady_clock::now();
  const Dataset data = generate_synthetic(config);
  write_ml1m(data, out);
  size_t likes = 0;
  for (const auto& r : data.ratings) likes += is_positive(r) ? 1 : 0;
  fmt::print("generated {} users, {} items, {} ratings ({:.1f}% rated > 3), seed {} -> {} in {:.1f}s\n",
             data.users.size(), data.items.size(), data.ratings.size(),
             data.ratings.empty() ? 0.0 : 100.0 * likes / data.ratings.size(), config.seed, out, since(t0));
  return 0;
}

int run_prepare(const std::string& in, const std::string& out, const PrepareConfig& config) {
  const auto t0 = std::chrono::steady_clock::now();
  const auto layout = detect_layout(in);
  const Dataset data = read_movielens(in);
  const double read_s = since(t0);
  const Prepared p = prepare(data, config);
  write_prepared(p, out);
  size_t train_likes = 0;
  for (const auto& r : p.split.train) train_likes += is_positive(r) ? 1 : 0;
  fmt::print("read {} ({}): {} users, {} items, {} ratings in {:.1f}s\n", in, layout ? layout_name(*layout) : "?",
             data.users.size(), data.items.size(), data.ratings.size(), read_s);
  fmt::print("split per user in time: train {} / test {} / held-out {} (last {} per user; of the rest the first {:.0f}%, rounded up, train)\n",
             p.split.train.size(), p.split.test.size(), p.split.holdout.size(), config.split.holdout,
             config.split.train_fraction * 100);
  fmt::print("train rows rated > 3: {:.1f}%; terms window: last {} ratings strictly before each row\n",
             p.split.train.empty() ? 0.0 : 100.0 * train_likes / p.split.train.size(), config.window);
  nlohmann::json meta = {
      {"source", in},
      {"layout", layout ? layout_name(*layout) : "?"},
      {"users", data.users.size()},
      {"items", data.items.size()},
      {"ratings", data.ratings.size()},
      {"train", p.split.train.size()},
      {"test", p.split.test.size()},
      {"holdout", p.split.holdout.size()},
      {"holdout_per_user", config.split.holdout},
      {"train_fraction", config.split.train_fraction},
      {"terms_window", config.window},
      {"label", "rating > 3"},
  };
  std::ofstream(fs::path(out) / "prepared.json") << meta.dump(2) << "\n";
  fmt::print("wrote {}/{{items,users,train,test,holdout}}.tsv in {:.1f}s total\n", out, since(t0));
  return 0;
}

int run_convert(const std::string& in, const std::string& in_ids, const std::string& out, const std::string& out_ids) {
  const FactorTable t = read_factors(in, in_ids);
  write_factors(t, out, out_ids);
  fmt::print("{} vectors of dimension {}: {} -> {}{}\n", t.ids.size(), t.vectors.cols(), in, out,
             out_ids.empty() ? "" : " + " + out_ids);
  return 0;
}

}  // namespace

int run(int argc, char** argv) {
  CLI::App app{"reco-data: generate, prepare and convert data for reco"};
  app.require_subcommand(1);

  SyntheticConfig gen;
  std::string gen_out = "data/synthetic";
  auto* g = app.add_subcommand("generate", "write a deterministic MovieLens-1M-layout data set");
  g->add_option("--out,-o", gen_out, "output directory (ratings.dat, users.dat, movies.dat)")->capture_default_str();
  g->add_option("--users", gen.users, "number of users")->capture_default_str()->check(CLI::Range(1u, 100000000u));
  g->add_option("--items", gen.items, "number of items")->capture_default_str()->check(CLI::Range(1u, 10000000u));
  g->add_option("--ratings", gen.ratings, "target number of ratings")->capture_default_str();
  g->add_option("--seed", gen.seed, "random seed")->capture_default_str();
  g->add_option("--min-per-user", gen.min_ratings_per_user, "minimum ratings per user")->capture_default_str();
  g->add_option("--noise", gen.rating_noise, "noise on the latent score (higher = harder)")->capture_default_str();
  g->add_option("--drift", gen.taste_drift, "change of taste along a user's history")->capture_default_str();
  g->add_option("--taste-selection", gen.taste_selection, "weight of taste in which items get rated")->capture_default_str();
  g->add_option("--popularity-skew", gen.popularity_skew, "spread of log-popularity")->capture_default_str();

  std::string prep_in, prep_out = "data/prepared";
  PrepareConfig prep;
  auto* p = app.add_subcommand("prepare", "split MovieLens ratings in time and compute point-in-time terms");
  p->add_option("--data,-d", prep_in, "MovieLens directory (1M .dat, 100K u.data or latest .csv)")->required();
  p->add_option("--out,-o", prep_out, "output directory")->capture_default_str();
  p->add_option("--holdout", prep.split.holdout, "last ratings per user held out as the online set")->capture_default_str();
  p->add_option("--train-fraction", prep.split.train_fraction, "share of the rest used for training (its first ceil(share x rest) ratings)")
      ->capture_default_str()->check(CLI::Range(0.0, 1.0));
  p->add_option("--window", prep.window, "ratings per point-in-time terms window")->capture_default_str()
      ->check(CLI::PositiveNumber);

  std::string conv_in, conv_in_ids, conv_out, conv_out_ids;
  auto* c = app.add_subcommand("convert", "convert factor files between .npy (+ids), .csv and .tsv");
  c->add_option("--in,-i", conv_in, "input factors (.npy, .csv, .tsv)")->required();
  c->add_option("--in-ids", conv_in_ids, "id list of a .npy input (.txt or .npy)");
  c->add_option("--out,-o", conv_out, "output factors (.npy, .csv, .tsv)")->required();
  c->add_option("--out-ids", conv_out_ids, "id list of a .npy output (.txt or .npy)");

  CLI11_PARSE(app, argc, argv);
  try {
    if (g->parsed()) return run_generate(gen, gen_out);
    if (p->parsed()) return run_prepare(prep_in, prep_out, prep);
    if (c->parsed()) return run_convert(conv_in, conv_in_ids, conv_out, conv_out_ids);
  } catch (const DataError& e) {
    fmt::print(stderr, "reco-data: {}\n", e.what());
    return 1;
  } catch (const std::exception& e) {
    fmt::print(stderr, "reco-data: {}\n", e.what());
    return 1;
  }
  return 2;
}

}  // namespace reco_offline::tools::data
