// Commands the loader sends: exact argument lists for items, users and the
// catalog (every list sent with its count, even when empty, so that SET
// replaces), FP32 blobs as little-endian float32, and the RESP encoding.
#include <gtest/gtest.h>

#include "reco/fingerprint.hpp"

#include <cstring>

#include "reco_offline/command_args.hpp"
#include "reco_offline/reco_commands.hpp"

using namespace reco_offline;

TEST(Commands, ItemSetCarriesEveryField) {
  ItemRecord it{"7", "ignored title", {"Comedy", "Drama"}, 12.5, 1000, {{"year", "1995"}}};
  const float v[2] = {1.5f, -0.25f};
  CommandArgs a;
  build_item_set(a, "movies", "7", &it, v, 2);
  std::vector<std::string> expected = {"RECO.ITEM.SET", "movies", "7", "FP32", std::string(8, '\0'), "TERMS", "2",
                                       "Comedy", "Drama", "POPULARITY", "12.5", "TIME", "1000", "FEATURES", "1",
                                       "year", "1995"};
  std::memcpy(expected[4].data(), v, 8);
  EXPECT_EQ(a.to_strings(), expected);
  // Little-endian float32: 1.5f = 0x3fc00000.
  EXPECT_EQ(static_cast<unsigned char>(a[4][3]), 0x3f);
  EXPECT_EQ(static_cast<unsigned char>(a[4][2]), 0xc0);

  build_item_set(a, "movies", "8", nullptr, v, 2);  // a vector without metadata
  EXPECT_EQ(a.size(), 5u);
  ItemRecord bare{"9", "", {}, 0, 0, {}};
  build_item_set(a, "movies", "9", &bare, nullptr, 0);  // metadata without a vector: lists still sent empty
  EXPECT_EQ(a.to_strings(), (std::vector<std::string>{"RECO.ITEM.SET", "movies", "9", "TERMS", "0", "POPULARITY", "0",
                                                       "TIME", "0", "FEATURES", "0"}));
}

// SEENFP's blob: each id's fingerprint as 8 little-endian bytes, in the record's order.
std::string seenfp(std::initializer_list<const char*> ids) {
  std::string out;
  for (const char* id : ids) {
    const std::uint64_t fp = reco::fingerprint(id);
    for (int b = 0; b < 8; ++b) out.push_back(static_cast<char>(fp >> (8 * b)));
  }
  return out;
}

TEST(Commands, UserSetCarriesEveryField) {
  UserRecord u{"5", {{"Drama", 0.5f}}, {"1", "2", "3"}, {{"gender", "F"}}};
  CommandArgs a;
  build_user_set(a, "user:5", &u, nullptr, 0);
  EXPECT_EQ(a.to_strings(), (std::vector<std::string>{"RECO.USER.SET", "user:5", "TERMS", "1", "Drama", "0.5",
                                                       "FEATURES", "1", "gender", "F", "SEENFP",
                                                       seenfp({"1", "2", "3"})}));
  UserRecord empty{"6", {}, {}, {}};
  build_user_set(a, "user:6", &empty, nullptr, 0);
  EXPECT_EQ(a.to_strings(), (std::vector<std::string>{"RECO.USER.SET", "user:6", "TERMS", "0", "FEATURES", "0", "SEENFP", ""}));
}

TEST(Commands, CatalogCreateAndResp) {
  CommandArgs a;
  build_catalog_create(a, "movies", 17, "IP");
  EXPECT_EQ(a.to_strings(), (std::vector<std::string>{"RECO.CATALOG.CREATE", "movies", "DIM", "17", "METRIC", "IP"}));
  build_catalog_create(a, "movies", 17, "IP", "FLAT");
  EXPECT_EQ(a.to_strings(),
            (std::vector<std::string>{"RECO.CATALOG.CREATE", "movies", "DIM", "17", "METRIC", "IP", "INDEX", "FLAT"}));
  CommandArgs b;
  b.add("SET").add("k").add(std::string("a\0b", 3));
  std::string resp;
  b.encode_resp(resp);
  EXPECT_EQ(resp, std::string("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$3\r\na\0b\r\n", 29));
}

TEST(Commands, NumbersAreShortestRoundTrip) {
  CommandArgs a;
  a.add_float(0.1f).add_double(0.1).add_int(-42).add_float(1.0f / 3.0f);
  EXPECT_EQ(a[0], "0.1");
  EXPECT_EQ(a[1], "0.1");
  EXPECT_EQ(a[2], "-42");
  EXPECT_EQ(std::stof(std::string(a[3])), 1.0f / 3.0f);
}
