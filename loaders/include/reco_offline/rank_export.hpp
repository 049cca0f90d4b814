// The ranking model as a file: safetensors (u64 little-endian header length,
// JSON header, raw little-endian F32 tensors) with the schema JSON as the
// string `__metadata__.reco`, per the reco model file contract v1. Writing
// and reading are both here so that a round trip can be tested without the
// engine; the reader checks what the contract asks of a file (F32 only,
// offsets inside the data, no overlap), not the schema's meaning.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "reco_offline/rank_features.hpp"
#include "reco_offline/rank_model.hpp"

namespace reco_offline {

struct F32Tensor {
  std::vector<int64_t> shape;
  std::vector<float> data;
};

struct ModelFile {
  std::string schema;  // the JSON text of __metadata__.reco
  std::string run;     // the run record's JSON text (__metadata__."reco.run"), empty: none
  std::map<std::string, F32Tensor> tensors;
};

// The schema JSON and tensors of a trained model (one FM group "fm" of the
// schema's dim over every field; MLP inputs: categorical and multi
// embeddings, then dense values).
ModelFile export_rank_model(const RankSchema& schema, const RankModel& model);

void write_model_file(const std::string& path, const ModelFile& file);
// Throws DataError naming the problem.
ModelFile read_model_file(const std::string& path);
// The same from bytes in memory (the file's whole content).
ModelFile parse_model_file(const std::string& bytes, const std::string& what);
std::string serialize_model_file(const ModelFile& file);

}  // namespace reco_offline
