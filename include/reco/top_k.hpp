// Bounded selection of the k best (score, id) pairs.
//
// A min-heap of size k: the root is the current k-th best, so a candidate that cannot beat
// it costs one comparison, and only those that can are checked against the filter. Ties
// break toward the smaller id so that results are identical on every node and after reload.
#pragma once

#include <algorithm>
#include <cstdint>
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
  explicit TopK(std::size_t k) : k_(k) { heap_.reserve(k); }

  // Would (score, id) enter the current top k?
  bool admits(float score, std::uint32_t id) const noexcept {
    if (heap_.size() < k_) return true;
    return k_ > 0 && better(Hit{id, score}, heap_.front());
  }
  void push(float score, std::uint32_t id) {
    auto worse_first = [](const Hit& a, const Hit& b) { return better(a, b); };
    if (k_ == 0) return;
    if (heap_.size() < k_) {
      heap_.push_back({id, score});
      std::push_heap(heap_.begin(), heap_.end(), worse_first);
    } else {
      std::pop_heap(heap_.begin(), heap_.end(), worse_first);
      heap_.back() = {id, score};
      std::push_heap(heap_.begin(), heap_.end(), worse_first);
    }
  }
  std::size_t size() const noexcept { return heap_.size(); }
  // Best first; empties the selector.
  std::vector<Hit> take_sorted() {
    std::sort(heap_.begin(), heap_.end(), better);
    return std::move(heap_);
  }

 private:
  std::size_t k_;
  std::vector<Hit> heap_;  // heap whose front is the worst kept hit
};

}  // namespace reco
