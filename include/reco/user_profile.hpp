// What the online store keeps about one user: the value of a user key.
//
// Vector (for vector recall and, later, the ranking model), weighted terms (e.g. genres
// with click counts, for term recall), the seen-set, and raw named features for the model.
// A profile is catalog-independent: the same user key serves every catalog whose
// dimension matches its vector.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "reco/catalog.hpp"
#include "reco/memory.hpp"
#include "reco/seen_set.hpp"

namespace reco {

struct WeightedTerm {
  String term;
  float weight;
};

struct UserProfile {
  RECO_HOOK_ALLOCATED
  Vec<float> vector;            // empty: no vector
  Vec<WeightedTerm> terms;
  SeenSet seen;
  Vec<Feature> features;

  bool has_signal() const noexcept { return !vector.empty() || !terms.empty(); }
  std::size_t memory_bytes() const noexcept;  // the whole value, for MEMORY USAGE
};

}  // namespace reco
