// Sorted-array seen-set (see reco/seen_set.hpp).
#include "reco/seen_set.hpp"

#include <algorithm>

#include "reco/fingerprint.hpp"

namespace reco {

bool SeenSet::contains(std::uint64_t fp) const noexcept {
  return std::binary_search(fps_.begin(), fps_.end(), fp);
}

bool SeenSet::contains(std::string_view id) const noexcept { return contains(fingerprint(id)); }

std::size_t SeenSet::add(std::span<const std::uint64_t> fps) {
  if (fps.empty()) return 0;
  // One merge instead of an insert per item: appending 10^4 items costs O(n log n), not O(n^2).
  std::vector<std::uint64_t> incoming(fps.begin(), fps.end());
  std::sort(incoming.begin(), incoming.end());
  incoming.erase(std::unique(incoming.begin(), incoming.end()), incoming.end());
  Vec<std::uint64_t> merged;
  merged.reserve(fps_.size() + incoming.size());
  std::set_union(fps_.begin(), fps_.end(), incoming.begin(), incoming.end(),
                 std::back_inserter(merged));
  std::size_t added = merged.size() - fps_.size();
  fps_.swap(merged);
  return added;
}

std::size_t SeenSet::remove(std::span<const std::uint64_t> fps) {
  std::size_t before = fps_.size();
  for (std::uint64_t fp : fps) {
    auto it = std::lower_bound(fps_.begin(), fps_.end(), fp);
    if (it != fps_.end() && *it == fp) fps_.erase(it);
  }
  if (fps_.capacity() > 2 * fps_.size() + 16) fps_.shrink_to_fit();
  return before - fps_.size();
}

void SeenSet::assign(std::span<const std::uint64_t> fps) {
  Vec<std::uint64_t> v(fps.begin(), fps.end());
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
  v.shrink_to_fit();
  fps_.swap(v);
}

}  // namespace reco
