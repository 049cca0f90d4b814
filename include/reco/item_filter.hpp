// What a search must skip: the user's seen-set, the request's EXCLUDE/SESSION items.
//
// Filtering belongs inside the search: an index asks allows(id) for every candidate that
// would enter its result, so a user who has seen 2,000 items still gets k results. The
// filter speaks of dense item ids; seen items are matched through the catalog's
// fingerprint of each id.
#pragma once

#include <algorithm>
#include <cstdint>
#include <span>
#include <vector>

#include "reco/seen_set.hpp"

namespace reco {

class ItemFilter {
 public:
  ItemFilter() = default;
  // fingerprints[id] is the fingerprint of dense id `id` (the catalog's array).
  ItemFilter(const SeenSet* seen, const std::uint64_t* fingerprints)
      : seen_(seen && !seen->empty() ? seen : nullptr), fps_(fingerprints) {}

  void exclude(std::uint32_t id) {
    auto it = std::lower_bound(excluded_.begin(), excluded_.end(), id);
    if (it == excluded_.end() || *it != id) excluded_.insert(it, id);
  }
  // A whole list at once: one sort, not an insert per id (EXCLUDE lists can be long).
  void exclude(std::span<const std::uint32_t> ids) {
    excluded_.insert(excluded_.end(), ids.begin(), ids.end());
    std::sort(excluded_.begin(), excluded_.end());
    excluded_.erase(std::unique(excluded_.begin(), excluded_.end()), excluded_.end());
  }

  bool allows(std::uint32_t id) const noexcept {
    if (!excluded_.empty() && std::binary_search(excluded_.begin(), excluded_.end(), id))
      return false;
    return !(seen_ && seen_->contains(fps_[id]));
  }

  bool empty() const noexcept { return !seen_ && excluded_.empty(); }

 private:
  const SeenSet* seen_ = nullptr;
  const std::uint64_t* fps_ = nullptr;
  std::vector<std::uint32_t> excluded_;  // sorted; per request, small
};

}  // namespace reco
