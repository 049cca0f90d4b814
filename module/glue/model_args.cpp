// MODEL / CONTEXT options (see model_args.hpp).
#include "model_args.hpp"

#include "reco/error.hpp"

namespace reco::glue {

void ModelChoice::parse_model(ArgCursor& args) {
  std::string_view v = args.next("MODEL version");
  if (equals_nocase(v, "NONE")) {
    none_ = true;
  } else {
    named_ = v;
  }
}

void ModelChoice::parse_context(ArgCursor& args) {
  std::vector<std::string_view> pairs = args.next_counted("CONTEXT", 2);
  reject_duplicates("CONTEXT", pairs, 2);
  for (std::size_t i = 0; i + 1 < pairs.size(); i += 2) context_.emplace_back(pairs[i], pairs[i + 1]);
}

const ModelVersion* ModelChoice::resolve(const Catalog& catalog, std::string_view user_key) const {
  if (none_) return nullptr;
  if (named_) {
    const ModelVersion* v = catalog.models().find(*named_);
    if (!v)
      throw Error("no model version " + quoted(*named_) + " in catalog " + quoted(catalog.name()));
    return v;
  }
  return catalog.models().choose(user_key);
}

}  // namespace reco::glue
