// Builders of model files for tests and benchmarks: a schema spec written out as JSON, and
// random weights of the right shapes, packed into a safetensors file.
//
// Kept apart from the engine's parser on purpose: the tests feed the engine what an
// independent writer produces, and break it in controlled ways (the JSON text and the
// tensor list are exposed before packing).
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "reco/catalog.hpp"
#include "reco/model.hpp"
#include "reco/model_items.hpp"
#include "reco/safetensors.hpp"
#include "reco/user_profile.hpp"

namespace reco_model_test {

struct FieldSpec {
  std::string name, side, kind;
  std::string source;  // empty: default
  std::vector<std::string> vocab;
  std::string combiner;  // empty: default
  double mean = 0, std = 1;
  std::string group;  // empty: none
};

struct ModelSpec {
  std::string output = "sigmoid";
  std::vector<std::pair<std::string, int>> groups;
  std::vector<FieldSpec> fields;
  bool mlp = false;
  std::vector<std::pair<std::string, std::string>> mlp_inputs;  // field, part
  std::vector<int> layers;
};

inline std::string json_str(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20) {
      static const char* hex = "0123456789abcdef";
      out += "\\u00";
      out += hex[u >> 4];
      out += hex[u & 15];
    } else {
      out += c;
    }
  }
  return out + "\"";
}

inline std::string schema_json(const ModelSpec& m) {
  std::string j = "{\"format\":\"reco.fm\",\"version\":1,\"output\":" + json_str(m.output) + ",\"groups\":[";
  for (std::size_t i = 0; i < m.groups.size(); ++i)
    j += std::string(i ? "," : "") + "{\"name\":" + json_str(m.groups[i].first) +
         ",\"dim\":" + std::to_string(m.groups[i].second) + "}";
  j += "],\"fields\":[";
  for (std::size_t i = 0; i < m.fields.size(); ++i) {
    const FieldSpec& f = m.fields[i];
    j += std::string(i ? "," : "") + "{\"name\":" + json_str(f.name) + ",\"side\":" + json_str(f.side) +
         ",\"kind\":" + json_str(f.kind);
    if (!f.source.empty()) j += ",\"source\":" + json_str(f.source);
    if (f.kind == "dense") {
      j += ",\"mean\":" + std::to_string(f.mean) + ",\"std\":" + std::to_string(f.std);
    } else {
      j += ",\"vocab\":[";
      for (std::size_t v = 0; v < f.vocab.size(); ++v) j += std::string(v ? "," : "") + json_str(f.vocab[v]);
      j += "]";
    }
    if (!f.combiner.empty()) j += ",\"combiner\":" + json_str(f.combiner);
    if (!f.group.empty()) j += ",\"group\":" + json_str(f.group);
    j += "}";
  }
  j += "]";
  if (m.mlp) {
    j += ",\"mlp\":{\"inputs\":[";
    for (std::size_t i = 0; i < m.mlp_inputs.size(); ++i)
      j += std::string(i ? "," : "") + "{\"field\":" + json_str(m.mlp_inputs[i].first) +
           ",\"part\":" + json_str(m.mlp_inputs[i].second) + "}";
    j += "],\"layers\":[";
    for (std::size_t i = 0; i < m.layers.size(); ++i) j += std::string(i ? "," : "") + std::to_string(m.layers[i]);
    j += "]}";
  }
  return j + "}";
}

inline reco::Tensor random_tensor(const std::string& name, std::vector<std::uint64_t> shape,
                                  std::mt19937_64& rng, float scale) {
  reco::Tensor t;
  t.name = name;
  std::uint64_t n = 1;
  for (auto d : shape) n *= d;
  t.shape = std::move(shape);
  std::normal_distribution<float> nd(0.0f, scale);
  t.data.resize(n);
  for (auto& v : t.data) v = nd(rng);
  return t;
}

// Weights for every tensor the spec needs. Embedding width of a group-less embedding
// input: `free_dim`.
inline reco::TensorFile random_weights(const ModelSpec& m, std::uint64_t seed, float scale = 0.1f,
                                       std::uint64_t free_dim = 3) {
  std::mt19937_64 rng(seed);
  reco::TensorFile tf;
  tf.metadata.emplace_back("reco", schema_json(m));
  tf.tensors.push_back(random_tensor("bias", {1}, rng, scale));
  auto dim_of = [&](const FieldSpec& f) -> std::uint64_t {
    for (const auto& g : m.groups)
      if (g.first == f.group) return g.second;
    for (const auto& in : m.mlp_inputs)
      if (m.mlp && in.first == f.name && in.second == "embedding") return free_dim;
    return 0;
  };
  std::vector<std::uint64_t> widths;
  for (const FieldSpec& f : m.fields) {
    const std::uint64_t rows = f.kind == "dense" ? 1 : f.vocab.size() + 1;
    tf.tensors.push_back(random_tensor("linear." + f.name, {rows}, rng, scale));
    if (std::uint64_t d = dim_of(f)) tf.tensors.push_back(random_tensor("embed." + f.name, {rows, d}, rng, scale));
  }
  if (m.mlp) {
    std::uint64_t in = 0;
    for (const auto& i : m.mlp_inputs) {
      if (i.second == "value") {
        ++in;
        continue;
      }
      for (const FieldSpec& f : m.fields)
        if (f.name == i.first) in += dim_of(f);
    }
    for (std::size_t l = 0; l <= m.layers.size(); ++l) {
      const std::uint64_t out = l < m.layers.size() ? m.layers[l] : 1;
      tf.tensors.push_back(random_tensor("mlp." + std::to_string(l) + ".weight", {out, in}, rng, scale));
      tf.tensors.push_back(random_tensor("mlp." + std::to_string(l) + ".bias", {out}, rng, scale));
      in = out;
    }
  }
  return tf;
}

inline std::string model_file(const ModelSpec& m, std::uint64_t seed, float scale = 0.1f) {
  return reco::write_safetensors(random_weights(m, seed, scale));
}

inline std::vector<std::string> numbered(int from, int to) {
  std::vector<std::string> v;
  for (int i = from; i <= to; ++i) v.push_back(std::to_string(i));
  return v;
}

inline const std::vector<std::string>& genre_names() {
  static const std::vector<std::string> g = {
      "Action", "Adventure", "Animation", "Children's", "Comedy", "Crime", "Documentary", "Drama", "Fantasy",
      "Film-Noir", "Horror", "Musical", "Mystery", "Romance", "Sci-Fi", "Thriller", "War", "Western"};
  return g;
}

// A MovieLens-1M-shaped model: user id 6040, item id 3706, gender, age, occupation, genres
// (multi over item terms), year and popularity (dense item), a user click rate (dense), and
// the hour of the request (context).
inline ModelSpec movielens_spec(int dim, bool mlp, std::vector<int> layers = {64, 32}) {
  ModelSpec m;
  m.groups = {{"fm", dim}};
  m.fields = {
      {"user_id", "user", "categorical", "id", numbered(1, 6040), "", 0, 1, "fm"},
      {"item_id", "item", "categorical", "id", numbered(1, 3706), "", 0, 1, "fm"},
      {"gender", "user", "categorical", "", {"F", "M"}, "", 0, 1, "fm"},
      {"age", "user", "categorical", "", {"1", "18", "25", "35", "45", "50", "56"}, "", 0, 1, "fm"},
      {"occupation", "user", "categorical", "", numbered(0, 20), "", 0, 1, "fm"},
      {"genres", "item", "multi", "terms", genre_names(), "mean", 0, 1, "fm"},
      {"year", "item", "dense", "", {}, "", 1985, 15, "fm"},
      {"pop", "item", "dense", "", {}, "", 2.0, 1.5, ""},
      {"clk", "user", "dense", "", {}, "", 0.1, 0.3, "fm"},
      {"hour", "context", "categorical", "", numbered(0, 23), "", 0, 1, "fm"},
  };
  if (mlp) {
    m.mlp = true;
    m.mlp_inputs = {{"user_id", "embedding"}, {"item_id", "embedding"}, {"gender", "embedding"},
                    {"age", "embedding"},     {"occupation", "embedding"}, {"genres", "embedding"},
                    {"year", "value"},        {"pop", "value"},           {"clk", "value"},
                    {"hour", "embedding"}};
    m.layers = std::move(layers);
  }
  return m;
}

// A few small fields of every kind, an MLP: quick to parse many times over.
inline ModelSpec small_spec() {
  ModelSpec m;
  m.groups = {{"fm", 4}};
  m.fields = {{"u", "user", "categorical", "id", numbered(1, 20), "", 0, 1, "fm"},
              {"item_id", "item", "categorical", "id", numbered(1, 30), "", 0, 1, "fm"},
              {"genres", "item", "multi", "terms", genre_names(), "", 0, 1, "fm"},
              {"year", "item", "dense", "", {}, "", 1985, 15, ""},
              {"hour", "context", "categorical", "", numbered(0, 3), "", 0, 1, "fm"}};
  m.mlp = true;
  m.mlp_inputs = {{"u", "embedding"}, {"genres", "embedding"}, {"year", "value"}};
  m.layers = {5};
  return m;
}

inline reco::Item movielens_item(std::mt19937_64& rng, std::uint32_t i) {
  reco::Item it;
  it.id = reco::to_string(std::to_string(1 + i % 4000));  // some ids past the vocab
  std::uniform_int_distribution<int> g(0, 17), n(1, 3);
  for (int k = n(rng); k > 0; --k) it.terms.push_back(reco::to_string(genre_names()[g(rng)]));
  it.features.push_back({reco::to_string("year"), reco::to_string(std::to_string(1930 + rng() % 70))});
  it.features.push_back({reco::to_string("pop"), reco::to_string(std::to_string((rng() % 1000) / 100.0))});
  return it;
}

inline reco::UserProfile movielens_user(std::mt19937_64& rng) {
  static const char* ages[] = {"1", "18", "25", "35", "45", "50", "56"};
  reco::UserProfile u;
  u.features.push_back({reco::to_string("gender"), reco::to_string(rng() % 2 ? "F" : "M")});
  u.features.push_back({reco::to_string("age"), reco::to_string(ages[rng() % 7])});
  u.features.push_back({reco::to_string("occupation"), reco::to_string(std::to_string(rng() % 21))});
  u.features.push_back({reco::to_string("clk"), reco::to_string(std::to_string((rng() % 100) / 100.0))});
  return u;
}

// A plain list of items by dense id (nullopt-like: empty id = dead slot).
class ItemList final : public reco::ItemSource {
 public:
  std::vector<reco::Item> items;
  std::vector<bool> live;
  std::uint32_t add(reco::Item it) {
    items.push_back(std::move(it));
    live.push_back(true);
    return static_cast<std::uint32_t>(items.size() - 1);
  }
  std::uint32_t id_bound() const override { return static_cast<std::uint32_t>(items.size()); }
  void for_each_item(const Visit& fn) const override {
    for (std::uint32_t d = 0; d < items.size(); ++d)
      if (live[d]) fn(d, reco::view(items[d].id), items[d]);
  }
};

}  // namespace reco_model_test
