// Reference rankings computed offline from the same files the loader reads,
// for the evaluation table: what the trained vectors alone would serve (exact
// top K by inner product) and the popularity order. Both skip the user's seen
// items exactly as the module does, so differences between a served row and
// these rows come from the serving path, not from the filtering.
#pragma once

#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "reco_offline/factor_files.hpp"
#include "reco_offline/records.hpp"

namespace reco_offline {

class PopularityRanker {
 public:
  // Items by popularity descending, then time descending, then id.
  explicit PopularityRanker(const std::vector<ItemRecord>& items);
  std::vector<std::string> top(size_t k, const std::unordered_set<std::string>& exclude) const;

 private:
  std::vector<std::string> order_;
};

class VectorRanker {
 public:
  explicit VectorRanker(const FactorTable& items) : items_(items) {}
  // Exact top K of <user, item> (ties by row order); empty if no vector.
  std::vector<std::string> top(const float* user, size_t k, const std::unordered_set<std::string>& exclude) const;

 private:
  const FactorTable& items_;
};

}  // namespace reco_offline
