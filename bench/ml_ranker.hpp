// The DeepFM-style ranker of the MovieLens benchmarks (linear + one FM group + an MLP
// [64, 32] over the embeddings and the dense features, sigmoid), with seeded random weights:
// written as a reco model file (safetensors with the schema in its metadata) and evaluated in
// the client the way a framework runs the original ranker, the whole network per candidate.
// Header-only and bench-only, beside ml_world.hpp.
#pragma once

#include <hiredis/hiredis.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include "bench_common.hpp"
#include "ml_world.hpp"
#include "model_file.hpp"

namespace reco_bench {

// ---- the ranking model: written once, PUT into the catalog, evaluated here --------------------

struct RankModel {
  std::size_t users = 0, items = 0;
  float bias = 0;
  // Categorical fields: linear [V+1], embed [V+1, kEmb]; row 0 is out-of-vocabulary.
  struct Cat {
    std::string name;
    std::vector<float> lin, emb;
  };
  Cat user_id, gender, age, occupation, item_id, genres;
  float year_lin = 0;
  std::vector<float> year_emb;            // [1, kEmb]
  std::array<float, kStats> stat_lin{};   // each a dense field's linear [1]
  std::vector<float> w0, b0, w1, b1, w2;  // [out, in] row-major, as in the file
  float b2 = 0;
  std::vector<float> w0t, w1t;            // [in, out]: the client's layout
  std::unordered_map<std::string, std::uint32_t> user_row, gender_row, age_row, occupation_row;

  RankModel(std::size_t n_users, std::size_t n_items, std::uint64_t seed) : users(n_users), items(n_items) {
    std::mt19937_64 rng(seed);
    auto fill = [&](std::vector<float>& v, std::size_t n, float scale) {
      std::normal_distribution<float> nd(0.f, scale);
      v.resize(n);
      for (float& x : v) x = nd(rng);
    };
    auto cat = [&](Cat& c, const char* name, std::size_t vocab) {
      c.name = name;
      fill(c.lin, vocab + 1, 0.1f);
      fill(c.emb, (vocab + 1) * kEmb, 0.1f);
    };
    std::vector<float> one;
    fill(one, 1, 0.1f);
    bias = one[0];
    cat(user_id, "user_id", users);
    cat(gender, "gender", 2);
    cat(age, "age", 7);
    cat(occupation, "occupation", 21);
    cat(item_id, "item_id", items);
    cat(genres, "genres", kGenres);
    fill(one, 1, 0.1f);
    year_lin = one[0];
    fill(year_emb, kEmb, 0.1f);
    for (float& x : stat_lin) {
      fill(one, 1, 0.1f);
      x = one[0];
    }
    fill(w0, kH1 * kMlpIn, float(1.0 / std::sqrt(double(kMlpIn))));
    fill(b0, kH1, 0.05f);
    fill(w1, kH2 * kH1, float(1.0 / std::sqrt(double(kH1))));
    fill(b1, kH2, 0.05f);
    fill(w2, kH2, float(1.0 / std::sqrt(double(kH2))));
    fill(one, 1, 0.05f);
    b2 = one[0];
    w0t.resize(w0.size());
    for (std::size_t o = 0; o < kH1; ++o)
      for (std::size_t i = 0; i < kMlpIn; ++i) w0t[i * kH1 + o] = w0[o * kMlpIn + i];
    w1t.resize(w1.size());
    for (std::size_t o = 0; o < kH2; ++o)
      for (std::size_t i = 0; i < kH1; ++i) w1t[i * kH2 + o] = w1[o * kH1 + i];
    for (std::size_t j = 0; j < users; ++j) user_row.emplace(user_key(j), std::uint32_t(j + 1));
    gender_row = {{"F", 1}, {"M", 2}};
    for (std::uint32_t a = 0; a < 7; ++a) age_row.emplace(kAges[a], a + 1);
    for (std::uint32_t o = 0; o <= 20; ++o) occupation_row.emplace(std::to_string(o), o + 1);
  }

  std::string schema() const {
    auto list = [](std::size_t n, auto name_of) {
      std::string s = "[";
      for (std::size_t i = 0; i < n; ++i) s += std::string(i ? "," : "") + "\"" + name_of(i) + "\"";
      return s + "]";
    };
    std::string s =
        "{\"format\":\"reco.fm\",\"version\":1,\"output\":\"sigmoid\",\"groups\":[{\"name\":\"fm\",\"dim\":" +
        std::to_string(kEmb) + "}],\"fields\":[";
    s += "{\"name\":\"user_id\",\"side\":\"user\",\"kind\":\"categorical\",\"source\":\"id\",\"vocab\":" +
         list(users, user_key) + ",\"group\":\"fm\"},";
    s += "{\"name\":\"gender\",\"side\":\"user\",\"kind\":\"categorical\",\"vocab\":[\"F\",\"M\"],\"group\":\"fm\"},";
    s += "{\"name\":\"age\",\"side\":\"user\",\"kind\":\"categorical\",\"vocab\":" +
         list(7, [](std::size_t i) { return std::string(kAges[i]); }) + ",\"group\":\"fm\"},";
    s += "{\"name\":\"occupation\",\"side\":\"user\",\"kind\":\"categorical\",\"vocab\":" +
         list(21, [](std::size_t i) { return std::to_string(i); }) + ",\"group\":\"fm\"},";
    s += "{\"name\":\"item_id\",\"side\":\"item\",\"kind\":\"categorical\",\"source\":\"id\",\"vocab\":" +
         list(items, [](std::size_t i) { return reco_bench::item_id(std::uint32_t(i)); }) + ",\"group\":\"fm\"},";
    s += "{\"name\":\"genres\",\"side\":\"item\",\"kind\":\"multi\",\"source\":\"terms\",\"combiner\":\"mean\","
         "\"vocab\":" + list(kGenres, [](std::size_t i) { return std::string(kGenreNames[i]); }) + ",\"group\":\"fm\"},";
    s += "{\"name\":\"year\",\"side\":\"item\",\"kind\":\"dense\",\"mean\":1985,\"std\":15,\"group\":\"fm\"}";
    for (std::size_t k = 0; k < kStats; ++k)
      s += ",{\"name\":\"" + stat_name(k) + "\",\"side\":\"user\",\"kind\":\"dense\",\"mean\":0.1,\"std\":0.1}";
    s += "],\"mlp\":{\"inputs\":[";
    for (const char* f : {"user_id", "gender", "age", "occupation", "item_id", "genres"})
      s += std::string("{\"field\":\"") + f + "\",\"part\":\"embedding\"},";
    s += "{\"field\":\"year\",\"part\":\"value\"}";
    for (std::size_t k = 0; k < kStats; ++k) s += ",{\"field\":\"" + stat_name(k) + "\",\"part\":\"value\"}";
    s += "],\"layers\":[" + std::to_string(kH1) + "," + std::to_string(kH2) + "]}}";
    return s;
  }

  std::string file_bytes() const {
    std::vector<reco::test::TestTensor> t;
    t.push_back({"bias", {1}, {bias}});
    for (const Cat* c : {&user_id, &gender, &age, &occupation, &item_id, &genres}) {
      t.push_back({"linear." + c->name, {c->lin.size()}, c->lin});
      t.push_back({"embed." + c->name, {c->lin.size(), kEmb}, c->emb});
    }
    t.push_back({"linear.year", {1}, {year_lin}});
    t.push_back({"embed.year", {1, kEmb}, year_emb});
    for (std::size_t k = 0; k < kStats; ++k) t.push_back({"linear." + stat_name(k), {1}, {stat_lin[k]}});
    t.push_back({"mlp.0.weight", {kH1, kMlpIn}, w0});
    t.push_back({"mlp.0.bias", {kH1}, b0});
    t.push_back({"mlp.1.weight", {kH2, kH1}, w1});
    t.push_back({"mlp.1.bias", {kH2}, b1});
    t.push_back({"mlp.2.weight", {1, kH2}, w2});
    t.push_back({"mlp.2.bias", {1}, {b2}});
    return reco::test::safetensors_bytes(schema(), t);
  }

  // The user's side of a request, from the user key and an HGETALL reply.
  struct UserSide {
    std::uint32_t user = 0, gender = 0, age = 0, occupation = 0;
    std::array<float, kStats> x{};  // standardised dense values (0 when missing)
  };

  static std::uint32_t row(const std::unordered_map<std::string, std::uint32_t>& vocab, const std::string& v) {
    auto it = vocab.find(v);
    return it == vocab.end() ? 0 : it->second;
  }

  UserSide user_side(const std::string& key, const redisReply* all) const {
    UserSide u;
    u.user = row(user_row, key);
    static const std::unordered_map<std::string, std::size_t> stat_index = [] {
      std::unordered_map<std::string, std::size_t> m;
      for (std::size_t k = 0; k < kStats; ++k) m.emplace(stat_name(k), k);
      return m;
    }();
    std::string name, value;
    for (std::size_t i = 0; i + 1 < all->elements; i += 2) {
      name.assign(all->element[i]->str, all->element[i]->len);
      value.assign(all->element[i + 1]->str, all->element[i + 1]->len);
      if (name == "gender") u.gender = row(gender_row, value);
      else if (name == "age") u.age = row(age_row, value);
      else if (name == "occupation") u.occupation = row(occupation_row, value);
      else if (auto it = stat_index.find(name); it != stat_index.end()) {
        char* end = nullptr;
        double raw = std::strtod(value.c_str(), &end);
        if (!value.empty() && *end == '\0' && std::isfinite(raw)) u.x[it->second] = float((raw - kStatMean) / kStatStd);
      }
    }
    return u;
  }

  // Sigmoid scores of `n` candidates: every row through the whole network (linear + FM +
  // MLP), a batch as a DeepFM framework runs it.
  void score(const UserSide& u, const World& w, const std::uint32_t* labels, std::size_t n, float* out) const {
    thread_local std::vector<float> z, logit;
    z.resize(n * kMlpIn);
    logit.resize(n);
    for (std::size_t c = 0; c < n; ++c) {
      const std::uint32_t it = labels[c] < items ? labels[c] + 1 : 0;
      const auto& gs = w.genres[labels[c]];
      const float year_x = float((double(w.year[labels[c]]) - kYearMean) / kYearStd);
      float e[kEmbFields + 1][kEmb];
      std::memcpy(e[0], &user_id.emb[u.user * kEmb], sizeof e[0]);
      std::memcpy(e[1], &gender.emb[u.gender * kEmb], sizeof e[1]);
      std::memcpy(e[2], &age.emb[u.age * kEmb], sizeof e[2]);
      std::memcpy(e[3], &occupation.emb[u.occupation * kEmb], sizeof e[3]);
      std::memcpy(e[4], &item_id.emb[it * kEmb], sizeof e[4]);
      float glin = 0;
      for (std::size_t k = 0; k < kEmb; ++k) e[5][k] = 0;
      for (std::uint32_t g : gs) {
        glin += genres.lin[g + 1];
        for (std::size_t k = 0; k < kEmb; ++k) e[5][k] += genres.emb[(g + 1) * kEmb + k];
      }
      const float inv = 1.f / float(gs.size());
      glin *= inv;
      for (std::size_t k = 0; k < kEmb; ++k) e[5][k] *= inv;
      for (std::size_t k = 0; k < kEmb; ++k) e[6][k] = year_x * year_emb[k];

      float l = bias + user_id.lin[u.user] + gender.lin[u.gender] + age.lin[u.age] + occupation.lin[u.occupation] +
                item_id.lin[it] + glin + year_x * year_lin;
      for (std::size_t k = 0; k < kStats; ++k) l += stat_lin[k] * u.x[k];
      float sum[kEmb] = {}, sq = 0;
      for (std::size_t f = 0; f <= kEmbFields; ++f)
        for (std::size_t k = 0; k < kEmb; ++k) {
          sum[k] += e[f][k];
          sq += e[f][k] * e[f][k];
        }
      float ss = 0;
      for (float s : sum) ss += s * s;
      logit[c] = l + 0.5f * (ss - sq);

      float* zc = &z[c * kMlpIn];
      for (std::size_t f = 0; f < kEmbFields; ++f) std::memcpy(zc + f * kEmb, e[f], sizeof e[f]);
      zc[kEmbFields * kEmb] = year_x;
      std::memcpy(zc + kEmbFields * kEmb + 1, u.x.data(), kStats * sizeof(float));
    }
    for (std::size_t c = 0; c < n; ++c) {
      const float* __restrict zc = &z[c * kMlpIn];
      float h1[kH1], h2[kH2];
      std::memcpy(h1, b0.data(), sizeof h1);
      for (std::size_t i = 0; i < kMlpIn; ++i) {
        const float zi = zc[i];
        const float* __restrict wr = &w0t[i * kH1];
        for (std::size_t o = 0; o < kH1; ++o) h1[o] += zi * wr[o];
      }
      for (float& v : h1) v = std::max(v, 0.f);
      std::memcpy(h2, b1.data(), sizeof h2);
      for (std::size_t i = 0; i < kH1; ++i) {
        const float hi = h1[i];
        const float* __restrict wr = &w1t[i * kH2];
        for (std::size_t o = 0; o < kH2; ++o) h2[o] += hi * wr[o];
      }
      float m = b2;
      for (std::size_t o = 0; o < kH2; ++o) m += w2[o] * std::max(h2[o], 0.f);
      out[c] = 1.f / (1.f + std::exp(-(logit[c] + m)));
    }
  }
};


}  // namespace reco_bench
