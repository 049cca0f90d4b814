// What a search must skip: the user's seen-set, the request's EXCLUDE/SESSION items.
//
// Filtering belongs inside the search: an index asks allows(id) for every candidate that
// would enter its result, so a user who has seen 2,000 items still gets k results. The
// filter speaks of dense item ids; seen items are matched through the catalog's
// fingerprint of each id.
//
// A request that probes the filter many times (several sources, long posting lists) may
// first turn the seen-set into a bitmap over dense ids (use_seen_bits): a probe is then one
// bit test instead of a binary search over the user's fingerprints.
//
// A term constraint (items must carry one of the request's terms) arrives as an allow-list
// of dense ids; with one, allows() also requires membership. blocked_estimate() and the
// allow-list's size let an index guess, before searching, how many items can pass: a graph
// walk that must skip nearly everything is slower than scanning the few allowed items.
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

  // Only these ids may pass (besides the other rules). Expected sorted and unique; an
  // unsorted list is sorted here rather than trusted, since membership is a binary search.
  void restrict_to(std::vector<std::uint32_t> sorted_unique_ids) {
    if (!std::is_sorted(sorted_unique_ids.begin(), sorted_unique_ids.end()))
      std::sort(sorted_unique_ids.begin(), sorted_unique_ids.end());
    sorted_unique_ids.erase(std::unique(sorted_unique_ids.begin(), sorted_unique_ids.end()),
                            sorted_unique_ids.end());
    allow_ = std::move(sorted_unique_ids);
    restricted_ = true;
  }
  // The allow-list, or nullptr when every id may pass it.
  const std::vector<std::uint32_t>* allowlist() const noexcept {
    return restricted_ ? &allow_ : nullptr;
  }
  // From now on, the seen-set is answered by `bits` (bit id set: the item of dense id `id`
  // is in the seen-set), covering ids below 64 * words; ids past it are not seen. The
  // caller keeps the words alive and unchanged while the filter is used.
  void use_seen_bits(const std::uint64_t* bits, std::size_t words) noexcept {
    seen_bits_ = bits;
    seen_words_ = words;
  }

  // An upper bound of how many ids the seen-set and the exclusions block (the seen-set may
  // hold items that no longer exist, and the two may overlap): O(1), for planning only.
  std::size_t blocked_estimate() const noexcept {
    return (seen_ ? seen_->size() : 0) + excluded_.size();
  }

  bool allows(std::uint32_t id) const noexcept {
    if (restricted_ && !std::binary_search(allow_.begin(), allow_.end(), id)) return false;
    if (!excluded_.empty() && std::binary_search(excluded_.begin(), excluded_.end(), id))
      return false;
    if (seen_bits_)
      return !((id >> 6) < seen_words_ && ((seen_bits_[id >> 6] >> (id & 63)) & 1u));
    return !(seen_ && seen_->contains(fps_[id]));
  }

  bool empty() const noexcept { return !seen_ && excluded_.empty() && !restricted_; }

 private:
  const SeenSet* seen_ = nullptr;
  const std::uint64_t* fps_ = nullptr;
  const std::uint64_t* seen_bits_ = nullptr;  // replaces seen_ lookups when set
  std::size_t seen_words_ = 0;
  std::vector<std::uint32_t> excluded_;  // sorted; per request, small
  std::vector<std::uint32_t> allow_;     // sorted, unique; meaningful when restricted_
  bool restricted_ = false;
};

}  // namespace reco
