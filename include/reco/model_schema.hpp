// The schema of a ranking model: which raw values feed which field, how fields group, and
// the MLP's shape. It lives as JSON in a model file's safetensors metadata (key "reco").
//
// Parsing it is separate from the weights so that every structural mistake (unknown kind,
// a context field reading the item id, an MLP input naming no field...) is reported in the
// schema's own terms before any tensor is looked at. Field order is the file's order, and
// so is the order of MLP inputs: the first MLP layer's columns follow it.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "reco/candidate_fields.hpp"
#include "reco/memory.hpp"

namespace reco {

constexpr std::size_t kMaxModelFields = 1024;
constexpr std::size_t kMaxModelGroups = 64;
constexpr std::size_t kMaxModelVocab = 1u << 24;
constexpr std::size_t kMaxModelWidth = 4096;      // a group's dim, an embedding, a layer
constexpr std::size_t kMaxModelLayers = 8;        // hidden layers
constexpr std::size_t kMaxModelMlpInput = 16384;  // width of the MLP's input z

// Candidate fields read what recall computed for each candidate (reco/candidate_fields.hpp):
// dense only, in no group (the FM's precomputed split pairs user and item sides only), and
// into the MLP only by value; their weight is a linear term and a column of the MLP's
// first layer, applied per candidate.
enum class FieldSide : std::uint8_t { User, Item, Context, Candidate };
enum class FieldKind : std::uint8_t { Categorical, Multi, Dense };
enum class FieldSource : std::uint8_t { Feature, Id, Terms, Candidate };
enum class Combiner : std::uint8_t { Mean, Sum };
enum class ModelOutput : std::uint8_t { Sigmoid, Logit };

struct TransparentHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
};
struct TransparentEqual {
  using is_transparent = void;
  bool operator()(std::string_view a, std::string_view b) const noexcept { return a == b; }
};
using VocabMap = HashMap<String, std::uint32_t, TransparentHash, TransparentEqual>;

struct ModelGroup {
  String name;
  std::uint32_t dim = 0;
};

struct ModelField {
  String name;
  FieldSide side = FieldSide::User;
  FieldKind kind = FieldKind::Categorical;
  FieldSource source = FieldSource::Feature;
  String feature;               // source Feature: the feature's name
  CandidateValue candidate = CandidateValue::BlendScore;  // source Candidate
  Vec<String> vocab;            // row r (1..V) is vocab[r-1]; row 0 is out-of-vocabulary
  VocabMap rows;                // raw value -> row
  Combiner combiner = Combiner::Mean;
  double mean = 0, std = 1;     // dense only
  int group = -1;               // index into ModelSchema::groups, -1 = linear only

  std::size_t rows_count() const noexcept { return kind == FieldKind::Dense ? 1 : vocab.size() + 1; }
  // 0 if the value is out of vocabulary (or the field is dense).
  std::uint32_t row(std::string_view raw) const noexcept {
    auto it = rows.find(raw);
    return it == rows.end() ? 0 : it->second;
  }
};

struct MlpInput {
  std::uint32_t field = 0;  // index into ModelSchema::fields
  bool embedding = true;    // false: the dense value x
};

struct ModelSchema {
  ModelOutput output = ModelOutput::Sigmoid;
  Vec<ModelGroup> groups;
  Vec<ModelField> fields;
  bool has_mlp = false;
  Vec<MlpInput> mlp_inputs;
  Vec<std::uint32_t> mlp_layers;  // hidden sizes; the final 1-wide layer is implied
  String json;                    // the schema text as found in the file

  int find_field(std::string_view name) const noexcept;
  int find_group(std::string_view name) const noexcept;
  // Whether field f needs an embedding tensor: it has a group or is an "embedding" MLP input.
  bool needs_embedding(std::size_t f) const noexcept;
};

// Throws reco::Error("model: ...") naming the offending field/key.
ModelSchema parse_model_schema(std::string_view json_text);

}  // namespace reco
