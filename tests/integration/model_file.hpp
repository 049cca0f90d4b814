// Model files for the integration tests, written and scored here without the engine.
//
// A small FM model (user, item and context fields, a multi-valued field, a dense field,
// optionally an MLP) is written as a safetensors file byte by byte, and a double-precision
// reference scorer evaluates it from raw values exactly as the README's formula says. The
// module must agree with it over the wire, so an engine bug cannot hide in a shared helper.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <vector>

namespace reco::test {

struct TestTensor {
  std::string name;
  std::vector<std::size_t> shape;
  std::vector<float> values;
};

inline std::string safetensors_bytes(const std::string& schema_json, const std::vector<TestTensor>& tensors,
                                     const std::string& run_record = "") {
  auto escape = [](const std::string& s) {
    std::string out;
    for (char ch : s) {
      if (ch == '"' || ch == '\\') out += '\\';
      out += ch;
    }
    return out;
  };
  std::string header = "{\"__metadata__\":{\"reco\":\"" + escape(schema_json) + "\"" +
                       (run_record.empty() ? "" : ",\"reco.run\":\"" + escape(run_record) + "\"") + "}";
  std::size_t offset = 0;
  std::string data;
  for (const TestTensor& t : tensors) {
    header += ",\"" + t.name + "\":{\"dtype\":\"F32\",\"shape\":[";
    for (std::size_t i = 0; i < t.shape.size(); ++i)
      header += (i ? "," : "") + std::to_string(t.shape[i]);
    std::size_t bytes = t.values.size() * 4;
    header += "],\"data_offsets\":[" + std::to_string(offset) + "," +
              std::to_string(offset + bytes) + "]}";
    data.append(reinterpret_cast<const char*>(t.values.data()), bytes);
    offset += bytes;
  }
  header += "}";
  std::string out(8, '\0');
  std::uint64_t n = header.size();
  for (int i = 0; i < 8; ++i) out[i] = char((n >> (8 * i)) & 0xff);
  return out + header + data;
}

// The test model: gender (user, categorical), age (user, dense), item_id (item, id),
// genres (item, multi over terms, mean), hour (context, categorical, linear only); one FM
// group of dim 4; with `mlp`, a [3] hidden layer over the gender embedding and age value.
struct TestModel {
  static constexpr std::size_t kDim = 4;
  std::vector<std::string> genders{"F", "M"};
  std::vector<std::string> items{"a", "b", "c", "d"};
  std::vector<std::string> genres{"Action", "Comedy", "Drama"};
  std::vector<std::string> hours{"morning", "evening"};
  double age_mean = 30, age_std = 10;
  bool mlp = false;
  std::map<std::string, std::vector<float>> w;  // tensor name -> values

  TestModel(std::uint64_t seed, bool with_mlp) : mlp(with_mlp) {
    std::mt19937_64 rng(seed);
    std::normal_distribution<float> d(0.0f, 0.5f);
    auto fill = [&](const std::string& name, std::size_t n) {
      std::vector<float> v(n);
      for (float& x : v) x = d(rng);
      w[name] = v;
    };
    fill("bias", 1);
    fill("linear.gender", genders.size() + 1);
    fill("embed.gender", (genders.size() + 1) * kDim);
    fill("linear.age", 1);
    fill("embed.age", kDim);
    fill("linear.item_id", items.size() + 1);
    fill("embed.item_id", (items.size() + 1) * kDim);
    fill("linear.genres", genres.size() + 1);
    fill("embed.genres", (genres.size() + 1) * kDim);
    fill("linear.hour", hours.size() + 1);
    if (mlp) {
      fill("mlp.0.weight", 3 * (kDim + 1));
      fill("mlp.0.bias", 3);
      fill("mlp.1.weight", 3);
      fill("mlp.1.bias", 1);
    }
  }

  static std::string list(const std::vector<std::string>& v) {
    std::string s = "[";
    for (std::size_t i = 0; i < v.size(); ++i) s += (i ? ",\"" : "\"") + v[i] + "\"";
    return s + "]";
  }

  std::string schema() const {
    std::string s = "{\"format\":\"reco.fm\",\"version\":1,\"output\":\"sigmoid\","
                    "\"groups\":[{\"name\":\"fm\",\"dim\":4}],\"fields\":[";
    s += "{\"name\":\"gender\",\"side\":\"user\",\"kind\":\"categorical\",\"vocab\":" +
         list(genders) + ",\"group\":\"fm\"},";
    s += "{\"name\":\"age\",\"side\":\"user\",\"kind\":\"dense\",\"mean\":30,\"std\":10,"
         "\"group\":\"fm\"},";
    s += "{\"name\":\"item_id\",\"side\":\"item\",\"kind\":\"categorical\",\"source\":\"id\","
         "\"vocab\":" + list(items) + ",\"group\":\"fm\"},";
    s += "{\"name\":\"genres\",\"side\":\"item\",\"kind\":\"multi\",\"source\":\"terms\","
         "\"combiner\":\"mean\",\"vocab\":" + list(genres) + ",\"group\":\"fm\"},";
    s += "{\"name\":\"hour\",\"side\":\"context\",\"kind\":\"categorical\",\"vocab\":" +
         list(hours) + "}]";
    if (mlp)
      s += ",\"mlp\":{\"inputs\":[{\"field\":\"gender\",\"part\":\"embedding\"},"
           "{\"field\":\"age\",\"part\":\"value\"}],\"layers\":[3]}";
    return s + "}";
  }

  std::vector<TestTensor> tensors() const {
    std::vector<TestTensor> t;
    auto add = [&](const std::string& name, std::vector<std::size_t> shape) {
      t.push_back({name, shape, w.at(name)});
    };
    add("bias", {1});
    add("linear.gender", {genders.size() + 1});
    add("embed.gender", {genders.size() + 1, kDim});
    add("linear.age", {1});
    add("embed.age", {1, kDim});
    add("linear.item_id", {items.size() + 1});
    add("embed.item_id", {items.size() + 1, kDim});
    add("linear.genres", {genres.size() + 1});
    add("embed.genres", {genres.size() + 1, kDim});
    add("linear.hour", {hours.size() + 1});
    if (mlp) {
      add("mlp.0.weight", {3, kDim + 1});
      add("mlp.0.bias", {3});
      add("mlp.1.weight", {1, 3});
      add("mlp.1.bias", {1});
    }
    return t;
  }

  std::string bytes() const { return safetensors_bytes(schema(), tensors()); }

  // Raw inputs of one (user, item, context) row; nullopt = missing.
  struct Row {
    std::optional<std::string> gender;
    std::optional<std::string> age;  // raw text, as a feature value
    std::string item;
    std::vector<std::string> terms;
    std::optional<std::string> hour;
  };

  static std::size_t row_of(const std::vector<std::string>& vocab, const std::optional<std::string>& v) {
    if (!v) return 0;
    for (std::size_t i = 0; i < vocab.size(); ++i)
      if (vocab[i] == *v) return i + 1;
    return 0;
  }

  double score(const Row& r) const {
    auto emb = [&](const std::string& name, std::size_t row) {
      std::vector<double> e(kDim);
      for (std::size_t j = 0; j < kDim; ++j) e[j] = w.at(name)[row * kDim + j];
      return e;
    };
    double logit = w.at("bias")[0];
    std::vector<std::vector<double>> es;
    // gender
    std::size_t g = row_of(genders, r.gender);
    logit += w.at("linear.gender")[g];
    es.push_back(emb("embed.gender", g));
    // age
    double x = 0;
    if (r.age) {
      char* end = nullptr;
      double raw = std::strtod(r.age->c_str(), &end);
      if (!r.age->empty() && end == r.age->c_str() + r.age->size() && std::isfinite(raw))
        x = (raw - age_mean) / age_std;
    }
    logit += x * w.at("linear.age")[0];
    auto ea = emb("embed.age", 0);
    for (double& v : ea) v *= x;
    es.push_back(ea);
    // item id
    std::size_t it = row_of(items, r.item);
    logit += w.at("linear.item_id")[it];
    es.push_back(emb("embed.item_id", it));
    // genres: mean over known values, row 0 once when none is known
    std::vector<std::size_t> rows;
    for (const auto& t : r.terms)
      if (std::size_t k = row_of(genres, t)) rows.push_back(k);
    if (rows.empty()) rows.push_back(0);
    std::vector<double> eg(kDim, 0.0);
    double lg = 0;
    for (std::size_t k : rows) {
      lg += w.at("linear.genres")[k];
      auto e = emb("embed.genres", k);
      for (std::size_t j = 0; j < kDim; ++j) eg[j] += e[j];
    }
    lg /= double(rows.size());
    for (double& v : eg) v /= double(rows.size());
    logit += lg;
    es.push_back(eg);
    // hour (linear only)
    logit += w.at("linear.hour")[row_of(hours, r.hour)];
    // FM pairs in the one group
    std::vector<double> sum(kDim, 0.0);
    double sq = 0;
    for (const auto& e : es)
      for (std::size_t j = 0; j < kDim; ++j) {
        sum[j] += e[j];
        sq += e[j] * e[j];
      }
    double ss = 0;
    for (double v : sum) ss += v * v;
    logit += 0.5 * (ss - sq);
    if (mlp) {
      std::vector<double> z = es[0];
      z.push_back(x);
      double out = w.at("mlp.1.bias")[0];
      for (std::size_t h = 0; h < 3; ++h) {
        double a = w.at("mlp.0.bias")[h];
        for (std::size_t j = 0; j < z.size(); ++j) a += w.at("mlp.0.weight")[h * z.size() + j] * z[j];
        out += w.at("mlp.1.weight")[h] * std::max(0.0, a);
      }
      logit += out;
    }
    return 1.0 / (1.0 + std::exp(-logit));
  }
};

}  // namespace reco::test
