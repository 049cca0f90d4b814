// The "already visited" set of a graph walk, reused from query to query.
//
// One 8-bit tag per graph slot and a current epoch: a node is visited when its tag equals
// the epoch, so starting a new walk is one increment instead of clearing n entries, and
// the tags are cleared once every 255 walks (n bytes / 255 a walk, far below what a walk
// reads). One byte, not two: these tags count in every vector's memory. The index owns one of these and
// lends it to each walk; that is safe because Redis runs every command on its main
// thread, so at most one walk of an index runs at a time (an index searched from several
// threads would need one set per thread).
#pragma once

#include <algorithm>
#include <cstdint>

#include "reco/memory.hpp"

namespace reco::hnsw {

class VisitedSet {
 public:
  // Starts a walk over slots [0, n).
  void begin(std::size_t n) {
    if (tags_.size() < n) {
      // Grow by an eighth, not by doubling: these tags are part of each vector's cost.
      if (tags_.capacity() < n) tags_.reserve(n + n / 8);
      tags_.resize(n, 0);
    }
    if (++epoch_ == 0) {
      std::fill(tags_.begin(), tags_.end(), 0);
      epoch_ = 1;
    }
  }
  bool seen(std::uint32_t slot) const noexcept { return tags_[slot] == epoch_; }
  void mark(std::uint32_t slot) noexcept { tags_[slot] = epoch_; }
  const void* address(std::uint32_t slot) const noexcept { return tags_.data() + slot; }
  void release() {
    Vec<std::uint8_t>().swap(tags_);
    epoch_ = 0;
  }
  std::size_t memory_bytes() const noexcept { return heap_bytes(tags_); }

 private:
  Vec<std::uint8_t> tags_;
  std::uint8_t epoch_ = 0;
};

}  // namespace reco::hnsw
