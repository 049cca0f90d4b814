// Inverted index from terms (genres, tags) to the items that carry them.
//
// Posting lists are sorted dense-id arrays: terms of a catalog are few and broad (18
// genres over 10^5 items), so term recall walks whole lists term-at-a-time into a score
// accumulator rather than intersecting them.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "reco/memory.hpp"

namespace reco {

class TermIndex {
 public:
  void add(std::uint32_t id, std::span<const String> terms);
  // Takes ahead the growth steps of add(): a list's doubling and the map's rehash (a new
  // term's own entry stays a small allocation inside add()).
  void reserve_add(std::span<const String> terms);
  void remove(std::uint32_t id, std::span<const String> terms);
  // Empty span if nobody carries the term.
  std::span<const std::uint32_t> postings(std::string_view term) const noexcept;
  std::size_t term_count() const noexcept { return postings_.size(); }
  std::size_t memory_bytes() const noexcept;

 private:
  std::unordered_map<String, Vec<std::uint32_t>, StringHash, StringEq,
                     Allocator<std::pair<const String, Vec<std::uint32_t>>>>
      postings_;
};

}  // namespace reco
