// The generated MovieLens-shaped world the ranking benchmarks share: items with clustered
// vectors, genres with MovieLens-1M's frequencies, release years and popularity; users with
// log-normal seen-sets (median 96, p99 ~900, like ratings per user in MovieLens-1M), their
// top genres as weighted terms, a vector near their home-cluster seen items, and the ranking
// features the original pipeline stores (gender, age, occupation, per-genre statistics).
//
// Header-only and bench-only: stack_baseline_bench (through a live server) and
// request_path_bench (the engine in process) must see the very same data for a seed, so that
// their per-stage numbers can be read side by side.
#pragma once

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "clustered_data.hpp"

namespace reco_bench {

constexpr std::size_t kGenres = 18;
const char* const kGenreNames[kGenres] = {"Action",  "Adventure", "Animation", "Children's", "Comedy",  "Crime",
                                          "Documentary", "Drama", "Fantasy",   "Film-Noir",  "Horror",  "Musical",
                                          "Mystery", "Romance",   "Sci-Fi",    "Thriller",   "War",     "Western"};
// Movies per genre in MovieLens-1M's movies.dat.
const double kGenreCount[kGenres] = {503, 283, 105, 251, 1200, 211, 127, 1603, 68,
                                     44,  343, 114, 106, 471,  276, 492, 143,  68};
const char* const kAges[] = {"1", "18", "25", "35", "45", "50", "56"};
const double kAgeShare[] = {222, 1103, 2096, 1193, 550, 496, 380};  // users.dat

constexpr std::size_t kRecallK = 200;  // candidates kept after the blend
constexpr std::size_t kTop = 50;
constexpr double kWVector = 0.9, kWTerm = 0.1;

// The ranker's shape.
constexpr std::size_t kEmb = 16;
constexpr std::size_t kH1 = 64, kH2 = 32;
constexpr std::size_t kStats = 2 * kGenres;          // imp_<g>, clk_<g>: user dense
constexpr std::size_t kEmbFields = 6;                // user_id gender age occupation item_id genres
constexpr std::size_t kMlpIn = kEmbFields * kEmb + 1 + kStats;  // + year value + stats values
constexpr double kYearMean = 1985, kYearStd = 15;
constexpr double kStatMean = 0.1, kStatStd = 0.1;


struct Shape {
  std::string name;
  std::size_t users = 0, items = 0, dim = 0, clusters = 0, requests = 0;
  std::string index;  // empty: the catalog's default (AUTO)
};

// ---- data -----------------------------------------------------------------------------------

struct User {
  std::vector<float> vec;             // the values its text parses to
  std::string vec_text;               // comma-separated, 9 significant digits
  std::vector<std::uint32_t> seen;    // sorted labels
  std::vector<std::uint32_t> terms;   // up to 3 genres, most seen first
  std::vector<std::string> term_w;    // reco TERMS weights (share of seen items)
  std::uint8_t gender = 0, age = 0, occupation = 0;
  std::array<float, kStats> stats{};  // imp_0..imp_17, clk_0..clk_17 (4 decimals)
  bool has_seen(std::uint32_t l) const { return std::binary_search(seen.begin(), seen.end(), l); }
};

struct World {
  std::size_t n = 0, dim = 0;
  std::vector<float> unit;                         // n x dim, unit length
  std::vector<std::vector<std::uint32_t>> genres;  // per item, ascending
  std::vector<int> year;
  std::vector<long long> popularity;               // users who have seen it
  std::vector<User> users;
};

inline std::string user_key(std::size_t j) { return "u:" + std::to_string(j); }
inline std::string base_key(std::size_t j) { return "b:" + std::to_string(j); }
inline std::string feat_key(std::size_t j) { return "f:" + std::to_string(j); }
inline std::string stat_name(std::size_t k) {
  return (k < kGenres ? "imp_" : "clk_") + std::to_string(k % kGenres);
}
inline std::string fmt4(float v) {
  char b[32];
  std::snprintf(b, sizeof b, "%.4f", v);
  return b;
}

inline World make_world(const Shape& s, std::uint64_t seed) {
  auto d = reco::bench::make_clustered(s.items, s.dim, 0, s.clusters, seed);
  reco::bench::normalise_rows(d.base, s.dim);
  World w;
  w.n = s.items;
  w.dim = s.dim;
  w.unit = std::move(d.base);
  std::mt19937_64 rng(seed + 1);
  std::discrete_distribution<std::uint32_t> genre(std::begin(kGenreCount), std::end(kGenreCount));

  // Each cluster leans on two genres: an item's first genre is one of them 70% of the time.
  std::vector<std::array<std::uint32_t, 2>> lean(s.clusters);
  for (auto& p : lean) {
    p[0] = genre(rng);
    do p[1] = genre(rng);
    while (p[1] == p[0]);
  }
  std::discrete_distribution<int> ngen({55, 32, 13});  // 1, 2, 3 genres: mean 1.6 as in MovieLens
  std::bernoulli_distribution lean_coin(0.7), half(0.5);
  std::exponential_distribution<double> age_of(1.0 / 12.0);
  w.genres.resize(w.n);
  w.year.resize(w.n);
  for (std::uint32_t i = 0; i < w.n; ++i) {
    auto& gs = w.genres[i];
    gs.push_back(lean_coin(rng) ? lean[d.cluster[i]][half(rng)] : genre(rng));
    int want = 1 + ngen(rng);
    while (gs.size() < std::size_t(want)) {
      std::uint32_t g = genre(rng);
      if (std::find(gs.begin(), gs.end(), g) == gs.end()) gs.push_back(g);
    }
    std::sort(gs.begin(), gs.end());
    w.year[i] = 2000 - std::min(81, int(age_of(rng)));
  }

  std::vector<std::vector<std::uint32_t>> members(s.clusters);
  for (std::uint32_t i = 0; i < w.n; ++i) members[d.cluster[i]].push_back(i);
  std::vector<double> cw(s.clusters);
  for (std::size_t c = 0; c < s.clusters; ++c) cw[c] = members[c].empty() ? 0.0 : d.weight[c];
  std::discrete_distribution<std::size_t> home(cw.begin(), cw.end());
  std::vector<std::uint32_t> by_rank(w.n);
  std::iota(by_rank.begin(), by_rank.end(), 0u);
  std::shuffle(by_rank.begin(), by_rank.end(), rng);
  std::vector<double> zw(w.n);
  for (std::size_t r = 0; r < w.n; ++r) zw[by_rank[r]] = 1.0 / std::pow(double(r + 1), 0.8);
  std::discrete_distribution<std::uint32_t> popular(zw.begin(), zw.end());
  std::lognormal_distribution<double> seen_count(std::log(96.0), 0.97);
  std::normal_distribution<float> gauss;
  std::uniform_real_distribution<float> clk_rate(0.3f, 0.9f);
  std::discrete_distribution<int> age_pick(std::begin(kAgeShare), std::end(kAgeShare));
  std::bernoulli_distribution female(0.28);
  std::uniform_int_distribution<int> occupation(0, 20);
  const std::size_t max_seen = std::min<std::size_t>(2000, w.n - 2 * kRecallK);
  const float noise = 0.3f / std::sqrt(float(s.dim));

  std::vector<char> mark(w.n, 0);
  std::vector<std::uint32_t> order(w.n);
  std::iota(order.begin(), order.end(), 0u);
  w.users.resize(s.users);
  w.popularity.assign(w.n, 0);
  for (std::size_t j = 0; j < s.users; ++j) {
    User& u = w.users[j];
    std::size_t want = std::clamp<std::size_t>(std::size_t(std::llround(seen_count(rng))), 20, max_seen);
    const auto& h0 = members[home(rng)];
    const auto& h1 = members[home(rng)];
    std::vector<std::uint32_t> got, from_home;
    for (std::size_t tries = 0; got.size() < want && tries < 20 * want; ++tries) {
      bool at_home = half(rng);
      const auto& pool = half(rng) ? h0 : h1;
      std::uint32_t l = at_home ? pool[std::uniform_int_distribution<std::size_t>(0, pool.size() - 1)(rng)] : popular(rng);
      if (mark[l]) continue;
      mark[l] = 1;
      got.push_back(l);
      if (at_home) from_home.push_back(l);
    }
    if (got.size() < want) {  // heavy users exhaust their draws: fill from a random order
      std::shuffle(order.begin(), order.end(), rng);
      for (std::size_t t = 0; t < w.n && got.size() < want; ++t)
        if (!mark[order[t]]) {
          mark[order[t]] = 1;
          got.push_back(order[t]);
        }
    }
    for (std::uint32_t l : got) mark[l] = 0;
    if (from_home.empty()) from_home = got;

    std::vector<float> v(s.dim, 0.f);
    for (std::size_t t = 0; t < std::min<std::size_t>(20, from_home.size()); ++t)
      for (std::size_t x = 0; x < s.dim; ++x) v[x] += w.unit[std::size_t(from_home[t]) * s.dim + x];
    double norm = 0;
    for (float x : v) norm += double(x) * x;
    float inv = norm > 0 ? float(1.0 / std::sqrt(norm)) : 1.f;
    u.vec.resize(s.dim);
    for (std::size_t x = 0; x < s.dim; ++x) {
      char b[32];
      std::snprintf(b, sizeof b, "%.9g", v[x] * inv + noise * gauss(rng));
      if (x) u.vec_text += ',';
      u.vec_text += b;
      u.vec[x] = std::strtof(b, nullptr);
    }

    std::array<std::size_t, kGenres> count{};
    for (std::uint32_t l : got) {
      for (std::uint32_t g : w.genres[l]) ++count[g];
      ++w.popularity[l];
    }
    std::vector<std::uint32_t> gs(kGenres);
    std::iota(gs.begin(), gs.end(), 0u);
    std::stable_sort(gs.begin(), gs.end(), [&](std::uint32_t a, std::uint32_t b) { return count[a] > count[b]; });
    for (std::size_t t = 0; t < 3 && count[gs[t]] > 0; ++t) {
      u.terms.push_back(gs[t]);
      char b[32];
      std::snprintf(b, sizeof b, "%.3f", double(count[gs[t]]) / double(got.size()));
      u.term_w.push_back(b);
    }
    for (std::size_t g = 0; g < kGenres; ++g) {
      float imp = float(count[g]) / float(got.size());
      u.stats[g] = std::round(imp * 1e4f) / 1e4f;
      u.stats[kGenres + g] = std::round(imp * clk_rate(rng) * 1e4f) / 1e4f;
    }
    u.gender = female(rng) ? 0 : 1;
    u.age = std::uint8_t(age_pick(rng));
    u.occupation = std::uint8_t(occupation(rng));
    u.seen = std::move(got);
    std::sort(u.seen.begin(), u.seen.end());
  }
  return w;
}


}  // namespace reco_bench
