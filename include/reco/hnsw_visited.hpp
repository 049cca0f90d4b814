// Per-thread scratch of graph walks: the "already visited" set and the walk's heaps.
//
// Visited set: one 8-bit tag per graph slot and a current epoch: a node is visited when
// its tag equals the epoch, so starting a new walk is one increment instead of clearing n
// entries, and the tags are cleared once every 255 walks (n bytes / 255 a walk, far below
// what a walk reads). One byte, not two: these tags cost n bytes per thread.
//
// Ownership: per thread (WalkScratch::local()). Queries run on several worker threads at
// once over one index, so nothing a walk writes may live in the index; each thread's
// scratch is sized to the largest index it walked and reused for every index. The buffers
// come from the module allocator like the indexes (n bytes per thread is memory Redis must
// see); that allocator lives as long as the process, since a module that registers a data
// type cannot be unloaded, so a thread torn down at exit still frees through it.
#pragma once

#include "reco/memory.hpp"

#include <algorithm>
#include <cstdint>
#include <vector>

namespace reco::hnsw {

class VisitedSet {
 public:
  // Starts a walk over slots [0, n).
  void begin(std::size_t n) {
    if (tags_.size() < n) {
      // Grow by an eighth, not by doubling: these tags are per thread and per slot.
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
  std::size_t memory_bytes() const noexcept { return tags_.capacity(); }

 private:
  Vec<std::uint8_t> tags_;
  std::uint8_t epoch_ = 0;
};

struct WalkScratch {
  VisitedSet visited;
  Vec<float> query;
  Vec<std::uint64_t> cand, result;  // packed (distance, slot) heaps

  static WalkScratch& local() {
    thread_local WalkScratch s;
    return s;
  }
};

}  // namespace reco::hnsw
