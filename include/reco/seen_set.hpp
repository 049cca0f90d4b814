// The set of items a user has already seen.
//
// Stored as a sorted array of item fingerprints: 8 bytes an item (80 KB for 10,000 items),
// no per-node overhead, membership by binary search, and it serialises as one block.
// Filters probe it only for candidates that would enter a top-k heap, so a search over a
// large catalog pays for a few hundred probes, not one per item.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "reco/memory.hpp"

namespace reco {

class SeenSet {
 public:
  bool contains(std::uint64_t fp) const noexcept;
  bool contains(std::string_view id) const noexcept;
  // Each returns how many fingerprints were newly added / actually removed.
  std::size_t add(std::span<const std::uint64_t> fps);
  std::size_t remove(std::span<const std::uint64_t> fps);
  void assign(std::span<const std::uint64_t> fps);  // any order, duplicates allowed
  void clear() { fps_.clear(); }

  std::size_t size() const noexcept { return fps_.size(); }
  bool empty() const noexcept { return fps_.empty(); }
  std::span<const std::uint64_t> fingerprints() const noexcept { return fps_; }
  std::size_t heap_bytes() const noexcept { return reco::heap_bytes(fps_); }

 private:
  Vec<std::uint64_t> fps_;  // sorted, unique
};

}  // namespace reco
