// The popular order's blocked lists (see reco/popular_order.hpp).
#include "reco/popular_order.hpp"

#include <algorithm>

namespace reco {

void PopularList::assign(std::span<const std::uint32_t> ids) {
  Vec<Vec<std::uint32_t>> blocks;
  // Filled to half a block, so that the first inserts after a sort shift short blocks and
  // do not split at once.
  const std::size_t per = kMaxBlock / 2;
  blocks.reserve((ids.size() + per - 1) / per);
  for (std::size_t i = 0; i < ids.size(); i += per) {
    const std::size_t n = std::min(per, ids.size() - i);
    blocks.emplace_back(ids.begin() + static_cast<std::ptrdiff_t>(i),
                        ids.begin() + static_cast<std::ptrdiff_t>(i + n));
  }
  blocks_ = std::move(blocks);
  size_ = ids.size();
}

void PopularList::push_back(std::uint32_t d) { insert_at({blocks_.size(), 0}, d); }

void PopularList::clear() noexcept {
  blocks_.clear();
  size_ = 0;
}

std::size_t PopularList::memory_bytes() const noexcept {
  std::size_t bytes = heap_bytes(blocks_);
  for (const auto& b : blocks_) bytes += heap_bytes(b);
  return bytes;
}

void PopularList::insert_at(Pos p, std::uint32_t d) {
  if (blocks_.empty()) {
    Vec<std::uint32_t> first;
    first.push_back(d);
    blocks_.push_back(std::move(first));
    size_ = 1;
    return;
  }
  if (p.block == blocks_.size()) {  // past the end: the last block's end
    --p.block;
    p.offset = blocks_[p.block].size();
  }
  if (blocks_[p.block].size() == kMaxBlock) {
    // Split first, so that a failed allocation leaves the content as it was.
    Vec<std::uint32_t>& full = blocks_[p.block];
    const std::size_t half = kMaxBlock / 2;
    Vec<std::uint32_t> tail(full.begin() + static_cast<std::ptrdiff_t>(half), full.end());
    blocks_.insert(blocks_.begin() + static_cast<std::ptrdiff_t>(p.block) + 1, std::move(tail));
    blocks_[p.block].resize(half);
    if (p.offset > half) {
      ++p.block;
      p.offset -= half;
    }
  }
  Vec<std::uint32_t>& b = blocks_[p.block];
  b.insert(b.begin() + static_cast<std::ptrdiff_t>(p.offset), d);
  ++size_;
}

void PopularList::erase_at(Pos p) noexcept {
  Vec<std::uint32_t>& b = blocks_[p.block];
  b.erase(b.begin() + static_cast<std::ptrdiff_t>(p.offset));
  --size_;
  if (b.empty()) {
    blocks_.erase(blocks_.begin() + static_cast<std::ptrdiff_t>(p.block));
    return;
  }
  if (b.size() >= kMinBlock || blocks_.size() == 1) return;
  // Merge the short block into a neighbour when both fit in one: keeps the block table
  // (and each search) proportional to the list, not to the history of its deletes.
  const std::size_t first = p.block + 1 < blocks_.size() ? p.block : p.block - 1;
  Vec<std::uint32_t>& into = blocks_[first];
  const Vec<std::uint32_t>& from = blocks_[first + 1];
  if (into.size() + from.size() > kMaxBlock) return;
  try {
    into.insert(into.end(), from.begin(), from.end());
  } catch (...) {
    return;  // merging is optional; the list is whole either way
  }
  blocks_.erase(blocks_.begin() + static_cast<std::ptrdiff_t>(first) + 1);
}

const PopularList* PopularTermLists::find(std::string_view term) const noexcept {
  auto it = lists_.find(term);
  return it == lists_.end() ? nullptr : &it->second;
}

PopularList* PopularTermLists::find(std::string_view term) noexcept {
  auto it = lists_.find(term);
  return it == lists_.end() ? nullptr : &it->second;
}

PopularList& PopularTermLists::get_or_add(const String& term) {
  auto it = lists_.find(view(term));
  if (it == lists_.end()) it = lists_.emplace(term, PopularList{}).first;
  return it->second;
}

void PopularTermLists::drop(std::string_view term) {
  auto it = lists_.find(term);
  if (it != lists_.end()) lists_.erase(it);
}

std::size_t PopularTermLists::memory_bytes() const noexcept {
  std::size_t bytes = lists_.bucket_count() * sizeof(void*);
  for (const auto& [term, list] : lists_)
    bytes += sizeof(void*) + sizeof(std::pair<const String, PopularList>) + heap_bytes(term) +
             list.memory_bytes();
  return bytes;
}

}  // namespace reco
