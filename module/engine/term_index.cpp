// Inverted term index (see reco/term_index.hpp).
#include "reco/term_index.hpp"

#include <algorithm>

namespace reco {

void TermIndex::add(std::uint32_t id, std::span<const String> terms) {
  for (const String& t : terms) {
    auto it = postings_.find(view(t));
    if (it == postings_.end()) it = postings_.emplace(t, Vec<std::uint32_t>{}).first;
    Vec<std::uint32_t>& list = it->second;
    // Loaders add ids in increasing order, so the common case is an append.
    if (list.empty() || list.back() < id) {
      list.push_back(id);
    } else {
      auto pos = std::lower_bound(list.begin(), list.end(), id);
      if (pos == list.end() || *pos != id) list.insert(pos, id);
    }
  }
}

void TermIndex::reserve_add(std::span<const String> terms) {
  std::size_t fresh = 0;
  for (const String& t : terms) {
    auto it = postings_.find(view(t));
    if (it == postings_.end()) {
      ++fresh;
    } else if (it->second.size() == it->second.capacity()) {
      it->second.reserve(std::max<std::size_t>(8, 2 * it->second.capacity()));
    }
  }
  if (fresh) reserve_entries(postings_, fresh);
}

void TermIndex::remove(std::uint32_t id, std::span<const String> terms) {
  for (const String& t : terms) {
    auto it = postings_.find(view(t));
    if (it == postings_.end()) continue;
    Vec<std::uint32_t>& list = it->second;
    auto pos = std::lower_bound(list.begin(), list.end(), id);
    if (pos != list.end() && *pos == id) list.erase(pos);
    if (list.empty()) postings_.erase(it);
  }
}

std::span<const std::uint32_t> TermIndex::postings(std::string_view term) const noexcept {
  auto it = postings_.find(term);
  if (it == postings_.end()) return {};
  return it->second;
}

std::size_t TermIndex::memory_bytes() const noexcept {
  std::size_t bytes = sizeof(*this) + postings_.bucket_count() * sizeof(void*);
  for (const auto& [term, list] : postings_) {
    bytes += sizeof(void*) * 2 + sizeof(term) + heap_bytes(term) + sizeof(list) + heap_bytes(list);
  }
  return bytes;
}

}  // namespace reco
