// Fingerprints of item ids are persisted (seen-sets in RDB) and compared across nodes, so
// their values are pinned here: a change to the function must fail this test, not silently
// orphan every stored seen-set. The pinned values were computed once from the documented
// algorithm (FNV-1a 64 then the murmur3 finaliser) by an independent implementation.
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "reco/fingerprint.hpp"

namespace {

TEST(Fingerprint, PinnedValues) {
  EXPECT_EQ(reco::fingerprint(""), 0xefd01f60ba992926ULL);
  EXPECT_EQ(reco::fingerprint("a"), 0x82a2a958a9bece5bULL);
  EXPECT_EQ(reco::fingerprint("b"), 0x6e673288764ad2d0ULL);
  EXPECT_EQ(reco::fingerprint("item:1"), 0xec4d91b09378c367ULL);
  EXPECT_EQ(reco::fingerprint("item:2"), 0xbba8818c37abfcb8ULL);
  EXPECT_EQ(reco::fingerprint("movie_1193"), 0x74c034f43970d735ULL);
}

TEST(Fingerprint, BinarySafe) {
  // Ids are binary-safe: an embedded NUL and high bytes are part of the id.
  EXPECT_EQ(reco::fingerprint(std::string("a\0b", 3)), 0xab78f5eca36d0e2bULL);
  EXPECT_EQ(reco::fingerprint(std::string("\xff\xfe", 2)), 0x75c9056eb1c4b960ULL);
  EXPECT_NE(reco::fingerprint(std::string("a\0b", 3)), reco::fingerprint("a"));
  EXPECT_NE(reco::fingerprint(std::string("a\0", 2)), reco::fingerprint("a"));
}

TEST(Fingerprint, UsableAtCompileTime) {
  static_assert(reco::fingerprint("a") == 0x82a2a958a9bece5bULL);
  SUCCEED();
}

TEST(Fingerprint, NoCollisionsOnSequentialIds) {
  // Ids sharing a long prefix are the common case (item:1, item:2, ...).
  std::set<std::uint64_t> seen;
  for (int i = 0; i < 100000; ++i) seen.insert(reco::fingerprint("item:" + std::to_string(i)));
  EXPECT_EQ(seen.size(), 100000u);
}

TEST(Fingerprint, HighBitsVary) {
  // The avalanche step must spread prefix-sharing ids over the top bits too.
  std::set<std::uint64_t> top;
  for (int i = 0; i < 4096; ++i) top.insert(reco::fingerprint("item:" + std::to_string(i)) >> 56);
  EXPECT_GT(top.size(), 200u);
}

}  // namespace
