// The score of a model file for one raw row, computed straight from the
// file's schema and float32 tensors by the rules of the model file contract
// v1 (vocab row 0 for unknown or missing values, dense (raw - mean) / std or
// 0 when missing, FM groups, MLP, sigmoid). It knows nothing of how the file
// was trained, so it checks the export against the trainer, and it is the
// offline reference the module's scores are compared with. Arithmetic in
// double: it is a reference, not a server.
#pragma once

#include <memory>
#include <string>

#include "reco_offline/rank_export.hpp"
#include "reco_offline/rank_features.hpp"

namespace reco_offline {

class ModelFileScorer {
 public:
  // Throws DataError when the schema or the tensors break the contract.
  explicit ModelFileScorer(const ModelFile& file);
  ~ModelFileScorer();
  ModelFileScorer(ModelFileScorer&&) noexcept;

  double logit(const RankInput& input) const;
  // sigmoid(logit) or the logit, as the schema's output says.
  double score(const RankInput& input) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace reco_offline
