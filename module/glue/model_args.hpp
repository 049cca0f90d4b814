// The model options RECO.RECOMMEND and RECO.SCORE share: MODEL <version>|NONE and
// CONTEXT <n> <name> <value>..., and which version ranks a request.
//
// Without MODEL the catalog's model set decides (the A/B split's side for this user, else
// the active version); MODEL names a version outright (e.g. to compare versions offline
// against the same users); MODEL NONE asks for the unranked blend.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "args.hpp"
#include "reco/catalog.hpp"
#include "reco/model_set.hpp"

namespace reco::glue {

class ModelChoice {
 public:
  void parse_model(ArgCursor& args);
  void parse_context(ArgCursor& args);
  // nullptr: rank without a model. Throws if MODEL names a version the catalog lacks.
  const ModelVersion* resolve(const Catalog& catalog, std::string_view user_key) const;
  ContextPairs context() const noexcept { return context_; }

 private:
  bool none_ = false;
  std::optional<std::string_view> named_;
  std::vector<std::pair<std::string_view, std::string_view>> context_;
};

}  // namespace reco::glue
