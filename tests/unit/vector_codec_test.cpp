// Wire vectors: FP32 blobs and text values. Everything a client sends passes through here,
// so the tests concentrate on what must be refused (wrong sizes, NaN, Inf, junk).
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "reco/error.hpp"
#include "reco/vector_codec.hpp"

namespace {

std::string blob_of(const std::vector<float>& v) {
  std::string b(v.size() * 4, '\0');
  for (std::size_t i = 0; i < v.size(); ++i) {
    std::uint32_t bits;
    std::memcpy(&bits, &v[i], 4);
    for (int j = 0; j < 4; ++j) b[i * 4 + j] = char((bits >> (8 * j)) & 0xff);  // little-endian
  }
  return b;
}

std::vector<float> parse(std::vector<std::string_view> t) { return reco::parse_values(t); }

TEST(VectorCodec, EncodeIsLittleEndianFloat32) {
  std::vector<float> v{1.0f, -2.0f};
  std::string b = reco::encode_fp32(v);
  ASSERT_EQ(b.size(), 8u);
  EXPECT_EQ(b, std::string("\x00\x00\x80\x3f\x00\x00\x00\xc0", 8));
  EXPECT_EQ(reco::encode_fp32(std::vector<float>{}), "");
}

TEST(VectorCodec, DecodeExactSize) {
  std::vector<float> v{0.5f, -1.25f, 3.0f};
  auto got = reco::decode_fp32(blob_of(v), 3);
  EXPECT_EQ(got, v);
}

TEST(VectorCodec, DecodeRejectsWrongSize) {
  std::string b = blob_of({1, 2, 3, 4});
  EXPECT_THROW(reco::decode_fp32(b, 3), reco::Error);
  EXPECT_THROW(reco::decode_fp32(b, 5), reco::Error);
  EXPECT_THROW(reco::decode_fp32(b.substr(0, 15), 4), reco::Error);
  EXPECT_THROW(reco::decode_fp32(b + "x", 4), reco::Error);
  EXPECT_THROW(reco::decode_fp32("", 1), reco::Error);
}

TEST(VectorCodec, DecodeRejectsNonFinite) {
  const float bad[] = {std::numeric_limits<float>::quiet_NaN(),
                       std::numeric_limits<float>::signaling_NaN(),
                       std::numeric_limits<float>::infinity(),
                       -std::numeric_limits<float>::infinity()};
  for (float x : bad) {
    for (std::size_t pos = 0; pos < 3; ++pos) {
      std::vector<float> v{1, 2, 3};
      v[pos] = x;
      EXPECT_THROW(reco::decode_fp32(blob_of(v), 3), reco::Error) << "pos " << pos;
    }
  }
  // A NaN with a non-canonical payload is still a NaN.
  std::string b = blob_of({1, 2});
  b[4] = '\x01'; b[5] = '\x00'; b[6] = '\xc0'; b[7] = '\x7f';
  EXPECT_THROW(reco::decode_fp32(b, 2), reco::Error);
}

TEST(VectorCodec, DecodeKeepsExtremeFiniteValues) {
  std::vector<float> v{std::numeric_limits<float>::max(), -std::numeric_limits<float>::max(),
                       std::numeric_limits<float>::denorm_min(), -0.0f};
  auto got = reco::decode_fp32(blob_of(v), 4);
  ASSERT_EQ(got.size(), 4u);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(std::memcmp(&got[i], &v[i], 4), 0) << i;
}

TEST(VectorCodec, BlobRoundTrip) {
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> d(-1e6f, 1e6f);
  std::vector<float> v(257);
  for (auto& x : v) x = d(rng);
  EXPECT_EQ(reco::decode_fp32(reco::encode_fp32(v), v.size()), v);
}

TEST(VectorCodec, ParseValues) {
  EXPECT_EQ(parse({"1", "-2.5", "1e-3", "0", "4"}),
            (std::vector<float>{1.0f, -2.5f, 1e-3f, 0.0f, 4.0f}));
  EXPECT_TRUE(parse({}).empty());
}

TEST(VectorCodec, ParseValuesRejectsJunk) {
  for (std::string_view bad :
       {"", "abc", "1x", "1.5.2", "nan", "NaN", "inf", "-inf", "Infinity", "1e39", "-1e39",
        "1e999", "0x", "1,5", "--1"}) {
    EXPECT_THROW(parse({"1", bad, "2"}), reco::Error) << "'" << bad << "'";
  }
  EXPECT_THROW(parse({std::string_view("1\0", 2)}), reco::Error);
}

TEST(VectorCodec, FormatFloatIsShortestRoundTrip) {
  EXPECT_EQ(reco::format_float(1.0f), "1");
  EXPECT_EQ(reco::format_float(0.5f), "0.5");
  EXPECT_EQ(reco::format_float(-2.25f), "-2.25");
  EXPECT_EQ(reco::format_float(0.1f), "0.1");
  std::mt19937 rng(11);
  std::uniform_int_distribution<std::uint32_t> bits;
  int checked = 0;
  while (checked < 20000) {
    std::uint32_t b = bits(rng);
    float x;
    std::memcpy(&x, &b, 4);
    if (!std::isfinite(x)) continue;
    std::string s = reco::format_float(x);
    auto back = parse({s});
    ASSERT_EQ(back.size(), 1u);
    ASSERT_EQ(std::memcmp(&back[0], &x, 4) == 0 || (x == 0 && back[0] == 0), true)
        << s << " for bits " << std::hex << b;
    ASSERT_LE(s.size(), 16u) << s;  // shortest repr of a float never needs more
    ++checked;
  }
}

TEST(VectorCodec, ParseFiniteDouble) {
  double d = -1;
  EXPECT_TRUE(reco::parse_finite_double("1.5", d));
  EXPECT_EQ(d, 1.5);
  EXPECT_TRUE(reco::parse_finite_double("-1e300", d));
  EXPECT_EQ(d, -1e300);
  EXPECT_TRUE(reco::parse_finite_double("0", d));
  EXPECT_EQ(d, 0.0);
  for (std::string_view bad : {"", "nan", "inf", "-inf", "1e400", "1.5x", "x", "1 ", " "}) {
    d = 42;
    EXPECT_FALSE(reco::parse_finite_double(bad, d)) << "'" << bad << "'";
  }
}

}  // namespace
