// TermIndex: posting lists stay sorted and exact under adds and removes in any order.
#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "reco/term_index.hpp"

namespace {

reco::Vec<reco::String> terms(std::initializer_list<std::string_view> l) {
  reco::Vec<reco::String> out;
  for (auto t : l) out.push_back(reco::to_string(t));
  return out;
}

std::vector<std::uint32_t> list(const reco::TermIndex& ix, std::string_view t) {
  auto p = ix.postings(t);
  return {p.begin(), p.end()};
}

TEST(TermIndex, AddAndLookup) {
  reco::TermIndex ix;
  EXPECT_TRUE(ix.postings("drama").empty());
  ix.add(7, terms({"drama", "comedy"}));
  ix.add(2, terms({"drama"}));
  ix.add(5, terms({"comedy", "a long term name that does not fit in a small string"}));
  EXPECT_EQ(list(ix, "drama"), (std::vector<std::uint32_t>{2, 7}));
  EXPECT_EQ(list(ix, "comedy"), (std::vector<std::uint32_t>{5, 7}));
  EXPECT_EQ(list(ix, "a long term name that does not fit in a small string"),
            (std::vector<std::uint32_t>{5}));
  EXPECT_TRUE(ix.postings("Drama").empty());  // terms are exact bytes
  EXPECT_TRUE(ix.postings("").empty());
  EXPECT_EQ(ix.term_count(), 3u);
  EXPECT_GT(ix.memory_bytes(), 0u);
}

TEST(TermIndex, BinarySafeTerms) {
  reco::TermIndex ix;
  reco::Vec<reco::String> t;
  t.push_back(reco::to_string(std::string_view("a\0b", 3)));
  ix.add(1, t);
  EXPECT_EQ(list(ix, std::string_view("a\0b", 3)), (std::vector<std::uint32_t>{1}));
  EXPECT_TRUE(ix.postings("a").empty());
}

TEST(TermIndex, RemoveDropsEmptyTerms) {
  reco::TermIndex ix;
  ix.add(1, terms({"x", "y"}));
  ix.add(2, terms({"x"}));
  ix.remove(1, terms({"x", "y"}));
  EXPECT_EQ(list(ix, "x"), (std::vector<std::uint32_t>{2}));
  EXPECT_TRUE(ix.postings("y").empty());
  // A term nobody carries any more must not be counted (CATALOG.INFO terms would otherwise
  // differ between a long-lived node and one that reloaded the same items).
  EXPECT_EQ(ix.term_count(), 1u);
  ix.remove(2, terms({"x"}));
  EXPECT_EQ(ix.term_count(), 0u);
  // Removing what is not there is harmless.
  ix.remove(9, terms({"x", "nope"}));
  EXPECT_EQ(ix.term_count(), 0u);
}

TEST(TermIndex, RandomOperationsMatchReference) {
  reco::TermIndex ix;
  std::map<std::string, std::set<std::uint32_t>> ref;
  std::map<std::uint32_t, std::vector<std::string>> carried;
  std::mt19937 rng(9);
  const std::vector<std::string> pool{"g0", "g1", "g2", "g3", "g4", "g5", "g6", "g7"};
  for (int step = 0; step < 3000; ++step) {
    std::uint32_t id = rng() % 400;
    auto it = carried.find(id);
    if (it != carried.end()) {
      reco::Vec<reco::String> t;
      for (auto& s : it->second) t.push_back(reco::to_string(s));
      ix.remove(id, t);
      for (auto& s : it->second) {
        ref[s].erase(id);
        if (ref[s].empty()) ref.erase(s);
      }
      carried.erase(it);
    } else {
      std::vector<std::string> mine;
      for (auto& s : pool)
        if (rng() % 3 == 0) mine.push_back(s);
      reco::Vec<reco::String> t;
      for (auto& s : mine) t.push_back(reco::to_string(s));
      ix.add(id, t);
      for (auto& s : mine) ref[s].insert(id);
      carried[id] = mine;
    }
  }
  for (auto& s : pool) {
    std::vector<std::uint32_t> want;
    if (ref.count(s)) want.assign(ref[s].begin(), ref[s].end());
    EXPECT_EQ(list(ix, s), want) << s;
  }
  EXPECT_EQ(ix.term_count(), ref.size());
}

}  // namespace
