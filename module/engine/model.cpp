// Model parsing and writing (see reco/model.hpp): a model file's tensors are checked
// against its schema, laid out for the precomputed split (model_scoring.cpp) and, for
// candidate fields, gathered into the per-candidate inputs the batch loop applies.
#include "reco/model.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <utility>
#include <vector>

#include "model_json.hpp"
#include "reco/error.hpp"
#include "reco/safetensors.hpp"

namespace reco {
namespace {

[[noreturn]] void fail(const std::string& msg) { throw Error("model: " + msg); }

std::string shape_str(const std::vector<std::uint64_t>& s) {
  std::string out = "[";
  for (std::size_t i = 0; i < s.size(); ++i) out += (i ? "," : "") + std::to_string(s[i]);
  return out + "]";
}

std::size_t round4(std::size_t n) { return (n + 3) / 4 * 4; }

}  // namespace

std::shared_ptr<const Model> Model::parse(std::string_view bytes) {
  TensorFile file = read_safetensors(bytes);
  const std::string* schema_text = file.meta("reco");
  if (!schema_text) fail("the file has no __metadata__ \"reco\" schema");

  std::shared_ptr<Model> m(new Model(), std::default_delete<Model>(), Allocator<Model>());
  m->schema_ = parse_model_schema(*schema_text);
  if (const std::string* run = file.meta("reco.run")) {
    if (run->size() > kMaxRunRecordBytes)
      fail("the run record (__metadata__ \"reco.run\") has " + std::to_string(run->size()) +
           " bytes (at most " + std::to_string(kMaxRunRecordBytes) + ")");
    if (!model_json::parse_strict(*run, "model: run record").is_object())
      fail("the run record (__metadata__ \"reco.run\") is not a JSON object");
    m->run_record_ = to_string(*run);
  }
  const ModelSchema& s = m->schema_;

  std::vector<std::uint8_t> used(file.tensors.size(), 0);
  auto take = [&](const std::string& name, const char* why) -> Tensor& {
    for (std::size_t i = 0; i < file.tensors.size(); ++i)
      if (file.tensors[i].name == name) {
        used[i] = 1;
        for (float v : file.tensors[i].data)
          if (!std::isfinite(v)) fail("tensor " + name + " has a non-finite value");
        return file.tensors[i];
      }
    fail("tensor " + name + " is missing (" + why + ")");
  };
  auto expect = [](const Tensor& t, std::vector<std::uint64_t> want, const std::string& what) {
    if (t.shape != want)
      fail("tensor " + t.name + " shape " + shape_str(t.shape) + " does not match " + what +
           " (expected " + shape_str(want) + ")");
  };

  Tensor& bias = take("bias", "the global bias");
  expect(bias, {1}, "the global bias");
  m->bias_ = bias.data[0];

  // Groups own consecutive slices of q/p, in the schema's group order.
  std::size_t q = 0;
  for (const ModelGroup& g : s.groups) {
    m->group_offset_.push_back(static_cast<std::uint32_t>(q));
    q += g.dim;
  }
  m->q_len_ = q;

  m->weights_.resize(s.fields.size());
  for (std::size_t i = 0; i < s.fields.size(); ++i) {
    const ModelField& f = s.fields[i];
    FieldWeights& w = m->weights_[i];
    const std::string name(view(f.name));
    const std::uint64_t rows = f.rows_count();
    const std::string rows_what =
        f.kind == FieldKind::Dense ? std::string("dense field ") + name
                                   : "field " + name + " vocab size " + std::to_string(f.vocab.size()) + " + 1";
    Tensor& lin = take("linear." + name, "every field has a linear term");
    expect(lin, {rows}, rows_what);
    w.linear = std::move(lin.data);
    if (!s.needs_embedding(i)) continue;
    Tensor& emb = take("embed." + name, f.group >= 0 ? "the field is in a group" : "the field is an MLP embedding input");
    if (emb.shape.size() != 2 || emb.shape[0] != rows)
      fail("tensor " + emb.name + " shape " + shape_str(emb.shape) + " does not match " + rows_what +
           " (expected [" + std::to_string(rows) + ",dim])");
    if (f.group >= 0) {
      const ModelGroup& g = s.groups[f.group];
      if (emb.shape[1] != g.dim)
        fail("tensor " + emb.name + " shape " + shape_str(emb.shape) + " does not match group " +
             std::string(view(g.name)) + " dim " + std::to_string(g.dim));
      w.q_offset = m->group_offset_[f.group];
    } else if (emb.shape[1] < 1 || emb.shape[1] > kMaxModelWidth) {
      fail("tensor " + emb.name + " embedding width " + std::to_string(emb.shape[1]) + " is outside 1.." +
           std::to_string(kMaxModelWidth));
    }
    w.dim = static_cast<std::uint32_t>(emb.shape[1]);
    w.embed = std::move(emb.data);
  }

  if (s.has_mlp) {
    std::size_t z = 0;
    for (const MlpInput& in : s.mlp_inputs) {
      m->mlp_offset_.push_back(static_cast<std::uint32_t>(z));
      z += in.embedding ? m->weights_[in.field].dim : 1;
    }
    if (z > kMaxModelMlpInput)
      fail("mlp input width " + std::to_string(z) + " is larger than " + std::to_string(kMaxModelMlpInput));
    m->mlp_width_ = static_cast<std::uint32_t>(z);
    std::size_t in_w = z;
    const std::size_t L = s.mlp_layers.size();
    for (std::size_t i = 0; i <= L; ++i) {
      const std::size_t out_w = i < L ? s.mlp_layers[i] : 1;
      const std::string lname = "mlp." + std::to_string(i);
      const std::string what = "mlp layer " + std::to_string(i) + " (" + std::to_string(in_w) + " -> " +
                               std::to_string(out_w) + ")";
      Tensor& wt = take(lname + ".weight", "the mlp has this layer");
      expect(wt, {out_w, in_w}, what);
      Tensor& bt = take(lname + ".bias", "the mlp has this layer");
      expect(bt, {out_w}, what);
      Layer layer;
      layer.in = static_cast<std::uint32_t>(in_w);
      layer.out = static_cast<std::uint32_t>(out_w);
      layer.weight = std::move(wt.data);
      layer.bias = std::move(bt.data);
      if (i > 0) {  // the batch kernel reads layers after the first transposed
        layer.weight_t.resize(layer.weight.size());
        for (std::size_t o = 0; o < out_w; ++o)
          for (std::size_t k = 0; k < in_w; ++k) layer.weight_t[k * out_w + o] = layer.weight[o * in_w + k];
      }
      m->layers_.push_back(std::move(layer));
      in_w = out_w;
    }
  }

  for (std::size_t i = 0; i < file.tensors.size(); ++i)
    if (!used[i]) fail("tensor " + file.tensors[i].name + " is not used by the schema");

  for (FieldWeights& w : m->weights_) {
    w.e_offset = static_cast<std::uint32_t>(m->e_total_);
    m->e_total_ += w.dim;
  }
  m->dot_len_ = round4(m->q_len_ + 1);
  m->h_len_ = s.has_mlp ? round4(m->layers_[0].out) : 0;
  m->stride_ = m->dot_len_ + m->h_len_;

  // Candidate fields: a linear weight each and, when the MLP reads them, their column of
  // the first layer, laid out so the batch loop adds x * column to a candidate's h.
  for (std::size_t i = 0; i < s.fields.size(); ++i) {
    const ModelField& f = s.fields[i];
    if (f.side != FieldSide::Candidate) continue;
    CandidateInput c;
    c.field = static_cast<std::uint32_t>(i);
    c.value = f.candidate;
    c.mean = f.mean;
    c.inv_std = 1.0 / f.std;
    c.linear = m->weights_[i].linear[0];
    const std::size_t at = m->cand_.size();
    m->cand_.push_back(c);
    m->cand_w0_.resize(m->cand_.size() * m->h_len_, 0.0f);
    for (std::size_t j = 0; j < s.mlp_inputs.size(); ++j) {
      if (s.mlp_inputs[j].field != i) continue;
      const Layer& l0 = m->layers_[0];
      for (std::uint32_t o = 0; o < l0.out; ++o)
        m->cand_w0_[at * m->h_len_ + o] = l0.weight[std::size_t(o) * l0.in + m->mlp_offset_[j]];
    }
  }
  return m;
}

std::string Model::to_bytes() const {
  TensorFile file;
  file.metadata.emplace_back("reco", std::string(view(schema_.json)));
  if (!run_record_.empty()) file.metadata.emplace_back("reco.run", std::string(view(run_record_)));
  auto add = [&](std::string name, std::vector<std::uint64_t> shape, const Vec<float>& data) {
    Tensor t;
    t.name = std::move(name);
    t.shape = std::move(shape);
    t.data = data;
    file.tensors.push_back(std::move(t));
  };
  add("bias", {1}, Vec<float>{bias_});
  for (std::size_t i = 0; i < schema_.fields.size(); ++i) {
    const std::string name(view(schema_.fields[i].name));
    const FieldWeights& w = weights_[i];
    add("linear." + name, {w.linear.size()}, w.linear);
    if (w.dim) add("embed." + name, {w.linear.size(), w.dim}, w.embed);
  }
  for (std::size_t i = 0; i < layers_.size(); ++i) {
    const Layer& l = layers_[i];
    add("mlp." + std::to_string(i) + ".weight", {l.out, l.in}, l.weight);
    add("mlp." + std::to_string(i) + ".bias", {l.out}, l.bias);
  }
  return write_safetensors(file);
}

std::size_t Model::parameter_count() const noexcept {
  std::size_t n = 1;
  for (const FieldWeights& w : weights_) n += w.linear.size() + w.embed.size();
  for (const Layer& l : layers_) n += l.weight.size() + l.bias.size();
  return n;
}

std::size_t Model::memory_bytes() const noexcept {
  std::size_t n = sizeof(Model) + schema_.json.capacity();
  for (const FieldWeights& w : weights_) n += heap_bytes(w.linear) + heap_bytes(w.embed);
  for (const Layer& l : layers_) n += heap_bytes(l.weight) + heap_bytes(l.weight_t) + heap_bytes(l.bias);
  n += heap_bytes(cand_) + heap_bytes(cand_w0_);
  for (const ModelField& f : schema_.fields) {
    n += sizeof(ModelField) + heap_bytes(f.vocab);
    for (const String& v : f.vocab) n += heap_bytes(v) * 2;  // the list and the map's key
    n += f.rows.size() * (sizeof(String) + 4 + 2 * sizeof(void*)) + f.rows.bucket_count() * sizeof(void*);
  }
  return n;
}

}  // namespace reco
