// Contract scorer (see rank_scorer.hpp).
#include "reco_offline/rank_scorer.hpp"

#include <cmath>
#include <nlohmann/json.hpp>
#include <set>
#include <unordered_map>

#include "reco_offline/text_input.hpp"

namespace reco_offline {

namespace {

using json = nlohmann::json;

struct Field {
  std::string name, side, kind, source;
  std::unordered_map<std::string, size_t> row;  // raw value -> 1..V
  size_t rows = 1;
  bool sum = false;
  double mean = 0, std = 1;
  int group = -1;
  const F32Tensor* linear = nullptr;
  const F32Tensor* embed = nullptr;
  size_t dim = 0;
};

struct Layer {
  const F32Tensor* weight;
  const F32Tensor* bias;
  size_t in, out;
};

const std::string* lookup(const std::vector<NameValue>& values, const std::string& name) {
  for (const auto& nv : values)
    if (nv.first == name) return &nv.second;
  return nullptr;
}

}  // namespace

struct ModelFileScorer::Impl {
  ModelFile file;
  bool sigmoid = true;
  std::vector<size_t> group_dims;
  std::vector<Field> fields;
  std::vector<std::pair<size_t, bool>> mlp_inputs;  // field, embedding (else value)
  std::vector<Layer> layers;
  float bias = 0;

  // Values a field reads from the input (categorical: first one counts).
  std::vector<std::string> values(const Field& f, const RankInput& in) const {
    std::vector<std::string> out;
    if (f.side == "candidate") {
      if (const auto* v = lookup(in.candidate, f.source.substr(10))) out.push_back(*v);
      return out;
    }
    if (f.side == "context") {
      if (const auto* v = lookup(in.context, f.name)) out.push_back(*v);
      return out;
    }
    const bool user = f.side == "user";
    if (f.source == "id") return {user ? in.user_key : in.item_id};
    if (f.source == "terms") return user ? in.user_terms : in.item_terms;
    const std::string name = f.source.empty() ? f.name : f.source.substr(8);
    const auto* v = lookup(user ? in.user_features : in.item_features, name);
    if (!v) return out;
    if (f.kind != "multi") return {*v};
    size_t b = 0;
    for (size_t bar; (bar = v->find('|', b)) != std::string::npos; b = bar + 1) out.push_back(v->substr(b, bar - b));
    out.push_back(v->substr(b));
    return out;
  }
};

ModelFileScorer::ModelFileScorer(const ModelFile& file) : impl_(std::make_unique<Impl>()) {
  Impl& m = *impl_;
  m.file = file;
  const auto fail = [](const std::string& msg) -> void { throw DataError("model file: " + msg); };
  json s;
  try {
    s = json::parse(m.file.schema);
  } catch (const std::exception& e) {
    fail(std::string("schema is not JSON: ") + e.what());
  }
  try {
    if (s.at("format") != "reco.fm" || s.at("version") != 1) fail("not a reco.fm version 1 schema");
    const std::string output = s.value("output", "sigmoid");
    if (output != "sigmoid" && output != "logit") fail("output must be sigmoid or logit");
    m.sigmoid = output == "sigmoid";
    std::unordered_map<std::string, int> group_index;
    for (const auto& g : s.value("groups", json::array())) {
      group_index.emplace(g.at("name").get<std::string>(), static_cast<int>(m.group_dims.size()));
      m.group_dims.push_back(g.at("dim").get<size_t>());
    }
    std::set<std::string> used;
    const auto need = [&](const std::string& name) -> const F32Tensor* {
      const auto it = m.file.tensors.find(name);
      if (it == m.file.tensors.end()) fail("missing tensor " + name);
      used.insert(name);
      return &it->second;
    };
    std::unordered_map<std::string, size_t> field_index;
    std::set<std::string> embedded_by_mlp;
    if (s.contains("mlp"))
      for (const auto& in : s["mlp"].at("inputs"))
        if (in.value("part", "") == "embedding") embedded_by_mlp.insert(in.at("field").get<std::string>());
    for (const auto& j : s.at("fields")) {
      Field f;
      f.name = j.at("name").get<std::string>();
      f.side = j.at("side").get<std::string>();
      f.kind = j.at("kind").get<std::string>();
      f.source = j.value("source", "feature:" + f.name);
      if (f.side == "candidate") {
        f.source = j.value("source", "candidate:" + f.name);
        if (f.source.rfind("candidate:", 0) != 0 || f.kind != "dense") fail("bad candidate field " + f.name);
      } else if (f.source != "id" && f.source != "terms" && f.source.rfind("feature:", 0) != 0) {
        fail("bad source of " + f.name);
      }
      if (f.kind == "dense") {
        f.mean = j.at("mean").get<double>();
        f.std = j.at("std").get<double>();
        if (!(f.std > 0)) fail("std of " + f.name + " must be > 0");
      } else {
        for (const auto& v : j.at("vocab"))
          if (!f.row.emplace(v.get<std::string>(), f.rows++).second) fail("duplicate vocab entry in " + f.name);
        f.sum = j.value("combiner", "mean") == "sum";
      }
      if (j.contains("group")) {
        const auto g = group_index.find(j["group"].get<std::string>());
        if (g == group_index.end()) fail("unknown group of " + f.name);
        f.group = g->second;
      }
      const size_t rows = f.kind == "dense" ? 1 : f.rows;
      f.linear = need("linear." + f.name);
      if (f.linear->data.size() != rows) fail("linear." + f.name + " has the wrong shape");
      if (f.group >= 0 || embedded_by_mlp.count(f.name)) {
        f.embed = need("embed." + f.name);
        if (f.embed->shape.size() != 2 || static_cast<size_t>(f.embed->shape[0]) != rows) fail("embed." + f.name + " has the wrong shape");
        f.dim = static_cast<size_t>(f.embed->shape[1]);
        if (f.group >= 0 && f.dim != m.group_dims[f.group]) fail("embed." + f.name + " does not have its group's dim");
      }
      field_index.emplace(f.name, m.fields.size());
      m.fields.push_back(std::move(f));
    }
    m.bias = need("bias")->data.at(0);
    if (s.contains("mlp")) {
      size_t width = 0;
      for (const auto& in : s["mlp"].at("inputs")) {
        const auto it = field_index.find(in.at("field").get<std::string>());
        if (it == field_index.end()) fail("MLP input of an unknown field");
        const bool emb = in.at("part") == "embedding";
        if (!emb && m.fields[it->second].kind != "dense") fail("a value input must be a dense field");
        m.mlp_inputs.emplace_back(it->second, emb);
        width += emb ? m.fields[it->second].dim : 1;
      }
      std::vector<size_t> sizes;
      for (const auto& h : s["mlp"].at("layers")) sizes.push_back(h.get<size_t>());
      sizes.push_back(1);
      for (size_t i = 0; i < sizes.size(); ++i) {
        Layer l{need("mlp." + std::to_string(i) + ".weight"), need("mlp." + std::to_string(i) + ".bias"), width, sizes[i]};
        if (l.weight->data.size() != l.in * l.out || l.bias->data.size() != l.out) fail("mlp." + std::to_string(i) + " has the wrong shape");
        m.layers.push_back(l);
        width = sizes[i];
      }
    }
    for (const auto& [name, t] : m.file.tensors)
      if (!used.count(name)) fail("tensor " + name + " is not named by the schema");
  } catch (const json::exception& e) {
    fail(std::string("bad schema: ") + e.what());
  }
}

ModelFileScorer::~ModelFileScorer() = default;
ModelFileScorer::ModelFileScorer(ModelFileScorer&&) noexcept = default;

double ModelFileScorer::logit(const RankInput& input) const {
  const Impl& m = *impl_;
  double logit = m.bias;
  std::vector<std::vector<double>> e(m.fields.size());
  std::vector<double> x(m.fields.size(), 0.0);
  for (size_t fi = 0; fi < m.fields.size(); ++fi) {
    const Field& f = m.fields[fi];
    const std::vector<std::string> raw = m.values(f, input);
    e[fi].assign(f.dim, 0.0);
    if (f.kind == "dense") {
      double v = 0;
      if (!raw.empty() && parse_rank_number(raw.front(), v)) x[fi] = (v - f.mean) / f.std;
      logit += x[fi] * f.linear->data[0];
      for (size_t k = 0; k < f.dim; ++k) e[fi][k] = x[fi] * f.embed->data[k];
      continue;
    }
    std::vector<size_t> rows;
    for (const auto& v : raw) {
      const auto it = f.row.find(v);
      if (it != f.row.end()) rows.push_back(it->second);
      if (f.kind == "categorical") break;
    }
    if (rows.empty()) rows.push_back(0);
    const double scale = f.kind == "multi" && !f.sum ? 1.0 / static_cast<double>(rows.size()) : 1.0;
    for (size_t r : rows) {
      logit += scale * f.linear->data[r];
      for (size_t k = 0; k < f.dim; ++k) e[fi][k] += scale * f.embed->data[r * f.dim + k];
    }
  }
  for (size_t g = 0; g < m.group_dims.size(); ++g) {
    std::vector<double> sum(m.group_dims[g], 0.0);
    double squares = 0;
    for (size_t fi = 0; fi < m.fields.size(); ++fi) {
      if (m.fields[fi].group != static_cast<int>(g)) continue;
      for (size_t k = 0; k < sum.size(); ++k) {
        sum[k] += e[fi][k];
        squares += e[fi][k] * e[fi][k];
      }
    }
    double total = 0;
    for (double v : sum) total += v * v;
    logit += 0.5 * (total - squares);
  }
  if (!m.layers.empty()) {
    std::vector<double> h;
    for (const auto& [fi, emb] : m.mlp_inputs) {
      if (emb) h.insert(h.end(), e[fi].begin(), e[fi].end());
      else h.push_back(x[fi]);
    }
    for (size_t i = 0; i < m.layers.size(); ++i) {
      const Layer& l = m.layers[i];
      std::vector<double> next(l.out);
      for (size_t o = 0; o < l.out; ++o) {
        double acc = l.bias->data[o];
        for (size_t k = 0; k < l.in; ++k) acc += l.weight->data[o * l.in + k] * h[k];
        next[o] = i + 1 < m.layers.size() ? std::max(acc, 0.0) : acc;
      }
      h.swap(next);
    }
    logit += h[0];
  }
  return logit;
}

double ModelFileScorer::score(const RankInput& input) const {
  const double z = logit(input);
  return impl_->sigmoid ? 1.0 / (1.0 + std::exp(-z)) : z;
}

}  // namespace reco_offline
