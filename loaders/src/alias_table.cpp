// Alias-table construction (Vose's stable variant: small and large work lists).
#include "reco_offline/alias_table.hpp"

#include <stdexcept>

namespace reco_offline {

AliasTable::AliasTable(const std::vector<double>& weights) {
  const size_t n = weights.size();
  if (n == 0) throw std::invalid_argument("alias table needs at least one weight");
  double total = 0;
  for (double w : weights) {
    if (!(w >= 0)) throw std::invalid_argument("alias table weights must be non-negative");
    total += w;
  }
  if (!(total > 0)) throw std::invalid_argument("alias table weights sum to zero");
  prob_.assign(n, 0.0);
  alias_.assign(n, 0);
  std::vector<double> scaled(n);
  std::vector<uint32_t> small, large;
  for (size_t i = 0; i < n; ++i) {
    scaled[i] = weights[i] * static_cast<double>(n) / total;
    (scaled[i] < 1.0 ? small : large).push_back(static_cast<uint32_t>(i));
  }
  while (!small.empty() && !large.empty()) {
    const uint32_t s = small.back();
    small.pop_back();
    const uint32_t l = large.back();
    prob_[s] = scaled[s];
    alias_[s] = l;
    scaled[l] = (scaled[l] + scaled[s]) - 1.0;
    if (scaled[l] < 1.0) {
      large.pop_back();
      small.push_back(l);
    }
  }
  // Leftovers are 1 up to rounding.
  for (uint32_t i : large) prob_[i] = 1.0, alias_[i] = i;
  for (uint32_t i : small) prob_[i] = 1.0, alias_[i] = i;
}

uint32_t AliasTable::draw(Rng& rng) const {
  const auto column = static_cast<uint32_t>(rng.below(prob_.size()));
  return rng.uniform() < prob_[column] ? column : alias_[column];
}

}  // namespace reco_offline
