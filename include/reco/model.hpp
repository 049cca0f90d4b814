// A parsed ranking model (FM family: linear terms, FM groups, optional MLP) and its scoring.
//
// Scoring is split the way the model's algebra allows (see the model file contract): every
// item's side is computed once into a fixed-width row of floats (prepare_item), every
// request's user and context side once per request (prepare_user), and per candidate only
// a dot product remains, plus the MLP layers after the first when there is an MLP. Rows
// have a fixed stride and a zero-padded width, so the batch loop (score) is plain SIMD
// over contiguous floats. score_full evaluates the model directly from raw values; it is
// the reference the split is tested against, and the baseline of the benchmark.
//
// A Model is immutable once parsed and is shared (shared_ptr<const Model>) by the item
// table built for it and by requests in flight.
#pragma once

#include <cmath>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include "reco/candidate_fields.hpp"
#include "reco/catalog.hpp"
#include "reco/memory.hpp"
#include "reco/model_schema.hpp"
#include "reco/user_profile.hpp"

namespace reco {

using ContextPairs = std::span<const std::pair<std::string_view, std::string_view>>;

class Model;

// What a field got from one user, context or item: a value it knows, none, or only values
// it does not know (a categorical or multi value outside its vocabulary, a dense value that
// is not a number). Counted per model version as the drift signals of its inputs.
enum class FieldValue : std::uint8_t { Present = 0, Missing = 1, Unknown = 2 };

// The per-request half of the score: c_u, p_u (followed by a 1 that meets b_i in the row),
// and h_u = W_0U z_U + b_0 when the model has an MLP.
struct UserSide {
  const Model* model = nullptr;
  float c = 0;
  Vec<float> p;  // Model::dot_width() floats
  Vec<float> h;  // Model::item_width() - Model::dot_width() floats
  // A FieldValue per schema field for the user and context fields (item fields: Present).
  Vec<std::uint8_t> values;
};

// Longest run record a model file may carry under __metadata__ "reco.run".
constexpr std::size_t kMaxRunRecordBytes = 64 * 1024;

class Model {
 public:
  RECO_HOOK_ALLOCATED
 public:
  // Parses and validates a model file (safetensors + schema). Throws reco::Error with a
  // message that names the offending tensor, field or key.
  static std::shared_ptr<const Model> parse(std::string_view bytes);

  const ModelSchema& schema() const noexcept { return schema_; }
  // The trainer's run record (__metadata__ "reco.run": a JSON object as text, at most
  // kMaxRunRecordBytes), empty when the file has none. Kept as found, shown by
  // RECO.MODEL.INFO, written back by to_bytes().
  std::string_view run_record() const noexcept { return view(run_record_); }

  // Floats per item row (a multiple of 4). Row layout: q_i (sum of group dims), b_i,
  // zero padding up to dot_width(), then h_i = W_0I z_I (zero-padded) if there is an MLP.
  std::size_t item_width() const noexcept { return stride_; }
  std::size_t dot_width() const noexcept { return dot_len_; }

  // Writes item_width() floats; and, if `values` is given, a FieldValue for each item field
  // at values[field index] (schema().fields.size() bytes; other fields are left alone).
  void prepare_item(std::string_view item_id, const Item& item, float* row,
                    std::uint8_t* values = nullptr) const;
  // user == nullptr: a cold user (no features, no terms; "id" fields still see user_key).
  UserSide prepare_user(std::string_view user_key, const UserProfile* user,
                        ContextPairs context) const;
  // The candidate fields, in schema order: what score() reads per candidate.
  std::size_t candidate_count() const noexcept { return cand_.size(); }
  CandidateValue candidate_value(std::size_t c) const noexcept { return cand_[c].value; }

  // out[k] = score of the item whose row is rows + dense_ids[k] * item_width(). A NaN
  // (only possible with absurd weights or raw values) becomes -inf, so it ranks last.
  // `candidates` (may be null: every candidate field missing) holds candidate_count() raw
  // values per candidate, row-major, NaN = missing. Throws reco::Error if the UserSide
  // was prepared by another model or the sizes differ; the ids are not checked
  // (ItemTable::score checks them against its bound).
  void score(const UserSide& user, const float* rows, std::span<const std::uint32_t> dense_ids,
             std::span<float> out, const float* candidates = nullptr) const;
  // The direct evaluation, in double precision, without any precomputed part. `candidates`:
  // candidate_count() raw values (NaN = missing), or empty for all missing.
  float score_full(std::string_view user_key, const UserProfile* user, ContextPairs context,
                   std::string_view item_id, const Item& item,
                   std::span<const float> candidates = {}) const;

  // A model file equivalent to the one parsed (schema text, run record and weights; other
  // metadata keys are not kept). parse(to_bytes()) scores exactly like this model.
  std::string to_bytes() const;
  std::size_t memory_bytes() const noexcept;
  std::size_t parameter_count() const noexcept;

  struct Layer {
    std::uint32_t in = 0, out = 0;
    Vec<float> weight;    // [out, in] row-major
    Vec<float> weight_t;  // [in, out]: the batch kernel's layout (layers after the first)
    Vec<float> bias;      // [out]
  };
  struct FieldWeights {
    Vec<float> linear;   // rows_count()
    Vec<float> embed;    // rows_count() * dim, empty if dim == 0
    std::uint32_t dim = 0;
    std::uint32_t q_offset = 0;  // where its group's sum sits in q/p (grouped fields)
    std::uint32_t e_offset = 0;  // where its embedding sits in an evaluation's scratch
  };

 private:
  struct Inputs;
  struct Pooled {
    double linear = 0;
    double x = 0;  // dense fields: the normalised value
    FieldValue value = FieldValue::Present;
  };
  Model() = default;
  Pooled pool(std::size_t f, const Inputs& in, double* e) const;
  // Adds side `item`'s linear and pairs terms to *scalar, its group sums to s (D doubles)
  // and its W_0 z contribution to h (H_0 doubles; h may be null without an MLP).
  // values[i] (if given) gets field i's FieldValue, for the fields of that side.
  void side_terms(bool item, const Inputs& in, double* scalar, double* s, double* h,
                  std::uint8_t* values) const;

  ModelSchema schema_;
  String run_record_;
  float bias_ = 0;
  Vec<FieldWeights> weights_;
  Vec<std::uint32_t> group_offset_;    // per group, into q/p
  Vec<std::uint32_t> mlp_offset_;      // per MLP input, into z
  std::uint32_t mlp_width_ = 0;        // width of z
  std::size_t e_total_ = 0;            // sum of all fields' embedding widths
  Vec<Layer> layers_;                  // hidden layers then the final 1-wide one
  struct CandidateInput {
    std::uint32_t field = 0;
    CandidateValue value = CandidateValue::BlendScore;
    double mean = 0, inv_std = 1;
    float linear = 0;
  };
  Vec<CandidateInput> cand_;           // the candidate fields, in schema order
  Vec<float> cand_w0_;                 // per candidate field, its first-layer column (h_len_ floats)
  // The standardised value x of candidate field c from its raw value (NaN: missing, 0).
  double candidate_x(std::size_t c, float raw) const noexcept {
    return std::isnan(raw) ? 0.0 : (double(raw) - cand_[c].mean) * cand_[c].inv_std;
  }
  std::size_t q_len_ = 0;              // sum of group dims (D)
  std::size_t dot_len_ = 0;            // round_up(D + 1, 4)
  std::size_t h_len_ = 0;              // round_up(H_0, 4), 0 without an MLP
  std::size_t stride_ = 0;
};

}  // namespace reco
