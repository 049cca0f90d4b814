// The popular order: live dense ids by popularity desc, then time desc, then id, for the
// whole catalog and for each term's items.
//
// Shaped as a list of short sorted blocks rather than one sorted array, because the moves
// that real writes make are long in an array: with many equal popularities a POPULARITY + 1
// takes an item from the middle of its tie group to the group's head (about n/2 shifted
// positions), and deleting a top item shifts the whole list. In blocks of at most kMaxBlock
// ids, one move shifts at most one block plus, when a block splits or merges, the block
// table (n / 512 entries): a bounded cost per write, so the order never has to be re-sorted
// after writes. Finding an id costs a binary search over the block table and one block, by
// the id's key (the catalog supplies it: the list holds ids only).
//
// Ownership: the catalog's writer edits it; readers iterate it under the catalog's shared
// lock (reco/serving/shared_catalog.hpp), when nobody edits it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <optional>
#include <span>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "reco/error.hpp"
#include "reco/memory.hpp"

namespace reco {

// An item's place in the popular order.
struct OrderKey {
  double popularity;
  std::int64_t time;
  std::uint32_t id;
};
inline bool before(const OrderKey& a, const OrderKey& b) noexcept {
  if (a.popularity != b.popularity) return a.popularity > b.popularity;
  if (a.time != b.time) return a.time > b.time;
  return a.id < b.id;
}

class PopularList {
 public:
  // A block splits in two when an insert would take it past kMaxBlock, and merges into a
  // neighbour when a removal leaves it under kMinBlock (if the two fit in one block).
  static constexpr std::size_t kMaxBlock = 1024;
  static constexpr std::size_t kMinBlock = 128;

  class Iterator {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = std::uint32_t;
    using difference_type = std::ptrdiff_t;
    using pointer = const std::uint32_t*;
    using reference = std::uint32_t;
    Iterator() = default;
    std::uint32_t operator*() const noexcept { return (*blocks_)[block_][offset_]; }
    Iterator& operator++() noexcept {
      if (++offset_ == (*blocks_)[block_].size()) {
        ++block_;
        offset_ = 0;
      }
      return *this;
    }
    Iterator operator++(int) noexcept {
      Iterator was = *this;
      ++*this;
      return was;
    }
    bool operator==(const Iterator& o) const noexcept {
      return block_ == o.block_ && offset_ == o.offset_;
    }

   private:
    friend class PopularList;
    Iterator(const Vec<Vec<std::uint32_t>>* blocks, std::size_t block, std::size_t offset)
        : blocks_(blocks), block_(block), offset_(offset) {}
    const Vec<Vec<std::uint32_t>>* blocks_ = nullptr;
    std::size_t block_ = 0;
    std::size_t offset_ = 0;
  };

  PopularList() = default;
  // Not copyable: a copy of a catalog-sized list is never what a caller wants.
  PopularList(const PopularList&) = delete;
  PopularList& operator=(const PopularList&) = delete;
  PopularList(PopularList&&) noexcept = default;
  PopularList& operator=(PopularList&&) noexcept = default;

  Iterator begin() const noexcept { return {&blocks_, 0, 0}; }
  Iterator end() const noexcept { return {&blocks_, blocks_.size(), 0}; }
  std::size_t size() const noexcept { return size_; }
  bool empty() const noexcept { return size_ == 0; }
  std::uint32_t front() const { return blocks_.front().front(); }
  std::vector<std::uint32_t> to_vector() const { return {begin(), end()}; }
  std::size_t blocks() const noexcept { return blocks_.size(); }

  // Replaces the content with `ids`, which are in order.
  void assign(std::span<const std::uint32_t> ids);
  // Appends `d`, which sorts after every id in the list.
  void push_back(std::uint32_t d);
  void clear() noexcept;
  std::size_t memory_bytes() const noexcept;

  // Moves `d`, which the list holds iff `from` is set (under that key), to where `to`
  // places it (out of the list if `to` is not set). `key` gives the key of every other id
  // in the list. Throws reco::Error if `d` is not where `from` says; an allocation failure
  // (std::bad_alloc) may leave `d` out of the list, so the caller then rebuilds it.
  template <class KeyOf>
  void move(std::uint32_t d, const std::optional<OrderKey>& from, const std::optional<OrderKey>& to,
            const KeyOf& key) {
    if (from) {
      const Pos p = lower_bound([&](std::uint32_t x) { return x != d && before(key(x), *from); });
      if (p.block == blocks_.size() || blocks_[p.block][p.offset] != d)
        throw Error("popular order out of step");
      erase_at(p);
    }
    if (to) insert_at(lower_bound([&](std::uint32_t x) { return before(key(x), *to); }), d);
  }

 private:
  struct Pos {
    std::size_t block;
    std::size_t offset;
  };
  // The first position whose id does not satisfy `sorts_before` (a predicate true for a
  // prefix of the list); {blocks(), 0} past the end.
  template <class Pred>
  Pos lower_bound(const Pred& sorts_before) const {
    std::size_t lo = 0, hi = blocks_.size();
    while (lo < hi) {
      const std::size_t mid = lo + (hi - lo) / 2;
      if (sorts_before(blocks_[mid].back())) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    if (lo == blocks_.size()) return {lo, 0};
    const Vec<std::uint32_t>& b = blocks_[lo];
    std::size_t l = 0, h = b.size();
    while (l < h) {
      const std::size_t mid = l + (h - l) / 2;
      if (sorts_before(b[mid])) {
        l = mid + 1;
      } else {
        h = mid;
      }
    }
    return {lo, l};
  }
  void insert_at(Pos p, std::uint32_t d);
  void erase_at(Pos p) noexcept;

  Vec<Vec<std::uint32_t>> blocks_;  // none empty
  std::size_t size_ = 0;
};

// One PopularList per term: the items carrying the term, in popular order.
class PopularTermLists {
 public:
  // nullptr if no live item carries `term`.
  const PopularList* find(std::string_view term) const noexcept;
  PopularList* find(std::string_view term) noexcept;
  PopularList& get_or_add(const String& term);
  void drop(std::string_view term);
  void clear() noexcept { lists_.clear(); }
  std::size_t memory_bytes() const noexcept;

 private:
  std::unordered_map<String, PopularList, StringHash, StringEq,
                     Allocator<std::pair<const String, PopularList>>>
      lists_;
};

}  // namespace reco
