// Walker's alias method: O(1) draws from a fixed discrete distribution. The
// generator draws millions of items proportionally to popularity, and the
// trainer draws popularity-weighted negatives; a binary search per draw would
// be the slowest part of both.
#pragma once

#include <cstdint>
#include <vector>

#include "reco_offline/prng.hpp"

namespace reco_offline {

class AliasTable {
 public:
  AliasTable() = default;
  // Weights must be non-negative with a positive sum.
  explicit AliasTable(const std::vector<double>& weights);
  uint32_t draw(Rng& rng) const;
  size_t size() const { return prob_.size(); }

 private:
  std::vector<double> prob_;
  std::vector<uint32_t> alias_;
};

}  // namespace reco_offline
