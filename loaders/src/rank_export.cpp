// Model file export and safetensors bytes (see rank_export.hpp). The header is
// padded with spaces to a multiple of 8 bytes, as the safetensors writers do,
// so that readers may map the tensors aligned.
#include "reco_offline/rank_export.hpp"

#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

#include "reco_offline/text_input.hpp"

namespace reco_offline {

namespace {

using json = nlohmann::json;

const char* side_kind(RankKind k) {
  switch (k) {
    case RankKind::Categorical: return "categorical";
    case RankKind::Multi: return "multi";
    case RankKind::Dense: return "dense";
  }
  return "";
}

F32Tensor tensor(std::vector<int64_t> shape, const float* data) {
  F32Tensor t;
  t.shape = std::move(shape);
  size_t n = 1;
  for (int64_t s : t.shape) n *= static_cast<size_t>(s);
  t.data.assign(data, data + n);
  return t;
}

}  // namespace

ModelFile export_rank_model(const RankSchema& schema, const RankModel& model) {
  const RankLayout& l = model.layout();
  const int64_t d = l.dim;
  json fields = json::array(), inputs = json::array();
  ModelFile file;
  float bias = model.bias();
  file.tensors["bias"] = tensor({1}, &bias);
  const auto add_field = [&](const RankField& f) {
    json j = {{"name", f.name}, {"side", f.side}, {"kind", side_kind(f.kind)}, {"source", f.source}};
    if (f.side != "candidate") j["group"] = "fm";  // candidate fields: linear and MLP value only
    if (f.kind == RankKind::Dense) {
      j["mean"] = f.mean;
      j["std"] = f.std;
    } else {
      j["vocab"] = f.vocab;
    }
    if (f.kind == RankKind::Multi) j["combiner"] = "mean";
    fields.push_back(std::move(j));
  };
  for (size_t f = 0; f < schema.categorical.size(); ++f) {
    const auto& field = schema.categorical[f];
    add_field(field);
    const auto rows = static_cast<int64_t>(l.cat_rows[f]);
    file.tensors["linear." + field.name] = tensor({rows}, model.cat_linear(f));
    file.tensors["embed." + field.name] = tensor({rows, d}, model.cat_embed(f));
    inputs.push_back({{"field", field.name}, {"part", "embedding"}});
  }
  for (size_t f = 0; f < schema.multi.size(); ++f) {
    const auto& field = schema.multi[f];
    add_field(field);
    const auto rows = static_cast<int64_t>(l.multi_rows[f]);
    file.tensors["linear." + field.name] = tensor({rows}, model.multi_linear(f));
    file.tensors["embed." + field.name] = tensor({rows, d}, model.multi_embed(f));
    inputs.push_back({{"field", field.name}, {"part", "embedding"}});
  }
  for (size_t j = 0; j < schema.dense.size(); ++j) {
    const auto& field = schema.dense[j];
    add_field(field);
    file.tensors["linear." + field.name] = tensor({1}, model.dense_linear(j));
    if (!model.plain(j)) file.tensors["embed." + field.name] = tensor({1, d}, model.dense_embed(j));
    inputs.push_back({{"field", field.name}, {"part", "value"}});
  }
  for (size_t i = 0; i < model.layers(); ++i) {
    file.tensors["mlp." + std::to_string(i) + ".weight"] = tensor({model.mlp_out(i), model.mlp_in(i)}, model.mlp_weight(i));
    file.tensors["mlp." + std::to_string(i) + ".bias"] = tensor({model.mlp_out(i)}, model.mlp_bias(i));
  }
  json s = {{"format", "reco.fm"},
            {"version", 1},
            {"output", "sigmoid"},
            {"groups", json::array({{{"name", "fm"}, {"dim", l.dim}}})},
            {"fields", fields},
            {"mlp", {{"inputs", inputs}, {"layers", l.hidden}}}};
  file.schema = s.dump();
  return file;
}

std::string serialize_model_file(const ModelFile& file) {
  json header = json::object();
  header["__metadata__"] = {{"reco", file.schema}};
  if (!file.run.empty()) header["__metadata__"]["reco.run"] = file.run;
  uint64_t offset = 0;
  for (const auto& [name, t] : file.tensors) {
    size_t n = 1;
    for (int64_t s : t.shape) n *= static_cast<size_t>(s);
    if (n != t.data.size()) throw DataError("tensor " + name + ": shape does not match its data");
    const uint64_t bytes = 4 * static_cast<uint64_t>(n);
    header[name] = {{"dtype", "F32"}, {"shape", t.shape}, {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
  }
  std::string text = header.dump();
  while (text.size() % 8) text.push_back(' ');
  std::string out;
  out.reserve(8 + text.size() + offset);
  const uint64_t n = text.size();
  for (int b = 0; b < 8; ++b) out.push_back(static_cast<char>(n >> (8 * b)));
  out += text;
  for (const auto& [name, t] : file.tensors) {
    for (float v : t.data) {
      uint32_t u;
      std::memcpy(&u, &v, 4);
      for (int b = 0; b < 4; ++b) out.push_back(static_cast<char>(u >> (8 * b)));
    }
  }
  return out;
}

void write_model_file(const std::string& path, const ModelFile& file) {
  const std::string bytes = serialize_model_file(file);
  // Written beside the target and renamed, so a reader never sees half a file.
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) throw DataError(path + ": cannot open for writing");
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!out) throw DataError(path + ": write failed");
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) throw DataError(path + ": cannot rename " + tmp);
}

ModelFile parse_model_file(const std::string& bytes, const std::string& what) {
  const auto fail = [&](const std::string& m) -> void { throw DataError(what + ": " + m); };
  if (bytes.size() < 8) fail("too short for a safetensors file");
  uint64_t n = 0;
  for (int b = 0; b < 8; ++b) n |= static_cast<uint64_t>(static_cast<uint8_t>(bytes[b])) << (8 * b);
  if (n > bytes.size() - 8) fail("header length exceeds the file");
  json header;
  try {
    header = json::parse(bytes.begin() + 8, bytes.begin() + 8 + static_cast<long>(n));
  } catch (const std::exception& e) {
    fail(std::string("header is not JSON: ") + e.what());
  }
  if (!header.is_object()) fail("header is not a JSON object");
  const uint64_t data_size = bytes.size() - 8 - n;
  const char* data = bytes.data() + 8 + n;
  ModelFile file;
  std::vector<std::pair<uint64_t, uint64_t>> ranges;
  for (const auto& [name, entry] : header.items()) {
    if (name == "__metadata__") {
      if (!entry.is_object() || !entry.contains("reco") || !entry["reco"].is_string()) {
        fail("__metadata__ has no string \"reco\"");
      }
      file.schema = entry["reco"].get<std::string>();
      if (entry.contains("reco.run") && entry["reco.run"].is_string()) file.run = entry["reco.run"].get<std::string>();
      continue;
    }
    if (!entry.is_object() || entry.value("dtype", "") != "F32") fail("tensor " + name + ": dtype must be F32");
    if (!entry.contains("shape") || !entry["shape"].is_array()) fail("tensor " + name + ": no shape");
    if (!entry.contains("data_offsets") || !entry["data_offsets"].is_array() || entry["data_offsets"].size() != 2) {
      fail("tensor " + name + ": no data_offsets");
    }
    F32Tensor t;
    uint64_t count = 1;
    for (const auto& s : entry["shape"]) {
      if (!s.is_number_unsigned()) fail("tensor " + name + ": bad shape");
      t.shape.push_back(s.get<int64_t>());
      count *= s.get<uint64_t>();
      if (count > data_size) fail("tensor " + name + ": larger than the data");
    }
    const auto& o = entry["data_offsets"];
    if (!o[0].is_number_unsigned() || !o[1].is_number_unsigned()) fail("tensor " + name + ": bad data_offsets");
    const uint64_t begin = o[0].get<uint64_t>(), end = o[1].get<uint64_t>();
    if (begin > end || end > data_size || end - begin != 4 * count) fail("tensor " + name + ": data_offsets do not fit");
    ranges.emplace_back(begin, end);
    t.data.resize(count);
    for (uint64_t k = 0; k < count; ++k) {
      uint32_t u = 0;
      for (int b = 0; b < 4; ++b) u |= static_cast<uint32_t>(static_cast<uint8_t>(data[begin + 4 * k + b])) << (8 * b);
      std::memcpy(&t.data[k], &u, 4);
    }
    file.tensors.emplace(name, std::move(t));
  }
  std::sort(ranges.begin(), ranges.end());
  for (size_t k = 1; k < ranges.size(); ++k)
    if (ranges[k].first < ranges[k - 1].second) fail("tensors overlap");
  if (file.schema.empty()) fail("no __metadata__.reco schema");
  return file;
}

ModelFile read_model_file(const std::string& path) { return parse_model_file(read_whole_file(path), path); }

}  // namespace reco_offline
