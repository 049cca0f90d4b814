// Bounded selection of the k best (score, id) pairs.
//
// Candidates that may belong to the top k are appended to a buffer; when it holds 2k, a
// selection (nth_element) keeps the k best and remembers the k-th as the bar a candidate
// must beat. So a candidate that cannot beat the bar costs one comparison, and one that
// can costs O(1) amortised (a heap costs log k per entry, measured the larger share of an
// exact scan's time once the distances were batched). admits() may say yes to a candidate
// that a later selection drops, never no to one that belongs: callers use it to skip
// filter checks, not to decide. Ties break toward the smaller id so that results are
// identical on every node and after reload.
//
// Entries are packed into one 64-bit key whose integer order is the ranking order (score,
// then the smaller id), so the selection compares integers, not a float and an id.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <functional>
#include <limits>
#include <vector>

namespace reco {

struct Hit {
  std::uint32_t id;
  float score;
};

// a ranks before b
inline bool better(const Hit& a, const Hit& b) noexcept {
  return a.score > b.score || (a.score == b.score && a.id < b.id);
}

class TopK {
 public:
  explicit TopK(std::size_t k) : k_(k) {
    buf_.reserve(k ? 2 * k : 0);
    if (k == 0) bar_ = {0, std::numeric_limits<float>::infinity()};
  }

  // Could (score, id) be among the k best so far? False only when k better ones are kept.
  // Two float compares at most (the scan's per-item cost), not a key computation.
  bool admits(float score, std::uint32_t id) const noexcept {
    return score > bar_.score || (score == bar_.score && id < bar_.id);
  }
  void push(float score, std::uint32_t id) {
    if (k_ == 0) return;
    buf_.push_back(key(score, id));
    if (buf_.size() >= 2 * k_) select();
  }
  // How many candidates are kept (at most k).
  std::size_t size() const noexcept { return std::min(buf_.size(), k_); }
  // Best first; empties the selector.
  std::vector<Hit> take_sorted() {
    if (buf_.size() > k_) select();
    std::sort(buf_.begin(), buf_.end(), std::greater<std::uint64_t>());
    std::vector<Hit> out(buf_.size());
    for (std::size_t i = 0; i < buf_.size(); ++i) out[i] = unkey(buf_[i]);
    buf_.clear();
    bar_ = {std::numeric_limits<std::uint32_t>::max(), -std::numeric_limits<float>::infinity()};
    if (k_ == 0) bar_ = {0, std::numeric_limits<float>::infinity()};
    return out;
  }

  // The packed order: a greater key ranks first. -0 counts as 0 (as in better()); the
  // id is inverted so that the smaller id is the greater key.
  static std::uint64_t key(float score, std::uint32_t id) noexcept {
    const float s = score + 0.0f;  // -0 + 0 = +0
    std::uint32_t b;
    std::memcpy(&b, &s, 4);
    b = (b & 0x80000000u) ? ~b : (b | 0x80000000u);
    return (std::uint64_t(b) << 32) | std::uint32_t(~id);
  }
  static Hit unkey(std::uint64_t k) noexcept {
    std::uint32_t b = std::uint32_t(k >> 32);
    b = (b & 0x80000000u) ? (b & 0x7fffffffu) : ~b;
    float s;
    std::memcpy(&s, &b, 4);
    return {~std::uint32_t(k), s};
  }

 private:
  void select() {
    std::nth_element(buf_.begin(), buf_.begin() + static_cast<std::ptrdiff_t>(k_ - 1), buf_.end(),
                     std::greater<std::uint64_t>());
    buf_.resize(k_);
    bar_ = unkey(buf_[k_ - 1]);
  }

  std::size_t k_;
  std::vector<std::uint64_t> buf_;  // unordered keys; after select() the k best
  // What a candidate must beat: the k-th best at the last selection; until then, nothing
  // real (only the largest id at -inf ties with it, and it never holds an item). k = 0: +inf,
  // which nothing beats.
  Hit bar_{std::numeric_limits<std::uint32_t>::max(), -std::numeric_limits<float>::infinity()};
};

}  // namespace reco
