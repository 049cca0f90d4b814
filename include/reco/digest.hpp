// A 128-bit content digest that can be kept up to date one change at a time.
//
// Why it is shaped so: two nodes must be able to tell, in O(1), whether they hold the same
// catalog, whatever order the writes came in and however often an item was re-sent. So the
// digest of a set is the sum (mod 2^64 in each half) of its members' 128-bit hashes: adding
// a member adds its hash, removing it subtracts it, and the order never matters. A member's
// hash comes from XXH3-128, so a change to any byte changes it (the sum is a consistency
// check between nodes that trust each other, not a defence against crafted collisions).
#pragma once

#include <cstdint>
#include <string>

namespace reco {

struct Digest128 {
  std::uint64_t lo = 0, hi = 0;

  void add(const Digest128& d) noexcept {
    lo += d.lo;
    hi += d.hi;
  }
  void sub(const Digest128& d) noexcept {
    lo -= d.lo;
    hi -= d.hi;
  }
  bool operator==(const Digest128&) const = default;
  // 32 lower-case hex digits, high half first.
  std::string hex() const;
};

}  // namespace reco
