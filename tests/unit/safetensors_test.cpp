// safetensors reader/writer: a round trip is exact, and every malformed file (bad header
// length, bad JSON, wrong dtype, shapes that disagree with offsets, overlaps, gaps,
// truncation anywhere, random corruption) is refused with reco::Error, never a crash.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <string>

#include "reco/error.hpp"
#include "reco/model_schema.hpp"
#include "reco/safetensors.hpp"

namespace {

using reco::Tensor;
using reco::TensorFile;

TensorFile sample() {
  TensorFile f;
  f.metadata = {{"format", "pt"}, {"reco", "{\"x\": 1}"}};
  Tensor a;
  a.name = "a";
  a.shape = {2, 3};
  for (int i = 0; i < 6; ++i) a.data.push_back(0.5f * i - 1);
  Tensor s;
  s.name = "scalar";
  s.data.push_back(3.25f);
  Tensor e;
  e.name = "empty";
  e.shape = {0, 4};
  Tensor b;
  b.name = "b.weight";
  b.shape = {3};
  b.data = {1e-30f, -7.0f, 65504.0f};
  f.tensors = {a, s, e, b};
  return f;
}

// A file from a raw header and data, for hand-made malformed cases.
std::string raw_file(const std::string& header, const std::string& data) {
  std::string out;
  const std::uint64_t n = header.size();
  for (int b = 0; b < 8; ++b) out.push_back(static_cast<char>(n >> (8 * b)));
  return out + header + data;
}

std::string floats(std::initializer_list<float> v) {
  std::string s(v.size() * 4, '\0');
  std::memcpy(s.data(), v.begin(), s.size());
  return s;
}

std::string error_of(const std::string& bytes) {
  try {
    reco::read_safetensors(bytes);
  } catch (const reco::Error& e) {
    return e.what();
  }
  return "(accepted)";
}

#define EXPECT_REFUSED(bytes, fragment)                                               \
  do {                                                                                \
    const std::string msg_ = error_of(bytes);                                         \
    EXPECT_NE(msg_.find(fragment), std::string::npos) << "message: " << msg_;         \
  } while (0)

TEST(SafeTensors, RoundTripIsExact) {
  const TensorFile f = sample();
  const std::string bytes = reco::write_safetensors(f);
  // Header padded so that the data starts 8-byte aligned.
  std::uint64_t n = 0;
  std::memcpy(&n, bytes.data(), 8);
  EXPECT_EQ(n % 8, 0u);
  const TensorFile g = reco::read_safetensors(bytes);
  ASSERT_EQ(g.tensors.size(), f.tensors.size());
  for (const Tensor& t : f.tensors) {
    const Tensor* u = g.find(t.name);
    ASSERT_NE(u, nullptr) << t.name;
    EXPECT_EQ(u->shape, t.shape);
    ASSERT_EQ(u->data.size(), t.data.size());
    for (std::size_t i = 0; i < t.data.size(); ++i) EXPECT_EQ(u->data[i], t.data[i]);
  }
  ASSERT_NE(g.meta("reco"), nullptr);
  EXPECT_EQ(*g.meta("reco"), "{\"x\": 1}");
  EXPECT_EQ(*g.meta("format"), "pt");
  EXPECT_EQ(g.meta("nope"), nullptr);
  EXPECT_EQ(g.find("nope"), nullptr);
}

TEST(SafeTensors, AcceptsAnyOrderAndWhitespacePadding) {
  const std::string data = floats({1, 2, 3});
  const std::string h =
      "{\"y\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]},"
      "\"x\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4]}}    ";
  const TensorFile f = reco::read_safetensors(raw_file(h, data));
  ASSERT_EQ(f.tensors.size(), 2u);
  EXPECT_EQ(f.find("x")->data[0], 1.0f);
  EXPECT_EQ(f.find("y")->data[1], 3.0f);
}

TEST(SafeTensors, RefusesBadHeaders) {
  EXPECT_REFUSED(std::string("abc"), "too short");
  EXPECT_REFUSED(std::string(8, '\0'), "header length is 0");
  std::string huge = raw_file("{}", "");
  huge[0] = 100;
  EXPECT_REFUSED(huge, "exceeds the file size");
  EXPECT_REFUSED(raw_file("{\"a\":", ""), "invalid JSON");
  EXPECT_REFUSED(raw_file("[1,2]", ""), "does not start with '{'");
  EXPECT_REFUSED(raw_file("{\"__metadata__\":{\"k\":1}}", ""), "not a string");
  EXPECT_REFUSED(raw_file("{\"__metadata__\":[]}", ""), "__metadata__ is not an object");
  const std::string d4 = floats({1});
  EXPECT_REFUSED(raw_file("{\"t\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                          "\"t\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", d4),
                 "duplicate key \"t\"");
  EXPECT_REFUSED(raw_file("{\"t\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[0,4]}}", d4),
                 "dtype F16; only F32");
  EXPECT_REFUSED(raw_file("{\"t\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", d4), "negative");
  EXPECT_REFUSED(raw_file("{\"t\":{\"dtype\":\"F32\",\"shape\":[1.5],\"data_offsets\":[0,4]}}", d4),
                 "not a non-negative integer");
  EXPECT_REFUSED(raw_file("{\"t\":{\"dtype\":\"F32\",\"shape\":[1]}}", d4), "data_offsets");
  EXPECT_REFUSED(raw_file("{\"t\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4],\"x\":1}}", d4),
                 "unknown key \"x\"");
  EXPECT_REFUSED(raw_file("{\"t\":{\"shape\":[1],\"data_offsets\":[0,4]}}", d4), "no dtype");
  EXPECT_REFUSED(raw_file("{\"t\":5}", d4), "not an object");
}

// A header's text is small next to the tree it parses into; input that would build a huge
// tree is refused while it is read, and a schema is held to the same nesting bound.
TEST(SafeTensors, RefusesHeadersThatWouldBuildHugeTrees) {
  const std::string deep = "{\"__metadata__\":{\"x\":" + std::string(100, '[') + std::string(100, ']') + "}}";
  EXPECT_REFUSED(raw_file(deep, ""), "nesting deeper than 64 levels");
  std::string many = "{\"a\":[0";
  for (int i = 0; i < (1 << 20); ++i) many += ",0";
  many += "]}";
  EXPECT_REFUSED(raw_file(many, ""), "more than 1048576 values");
  // Within the bounds, the same shapes still parse (and fail later for their content).
  EXPECT_REFUSED(raw_file("{\"a\":[[[[0]]]]}", ""), "not an object");
  std::string nested_schema = "{\"fields\":" + std::string(70, '[') + std::string(70, ']') + "}";
  try {
    reco::parse_model_schema(nested_schema);
    ADD_FAILURE() << "a schema nested 70 deep was accepted";
  } catch (const reco::Error& e) {
    EXPECT_NE(std::string(e.what()).find("nesting deeper than 64 levels"), std::string::npos) << e.what();
  }
}

TEST(SafeTensors, RefusesShapesThatDisagreeWithOffsets) {
  const std::string d = floats({1, 2, 3, 4});
  auto entry = [](const char* name, const char* shape, int b, int e) {
    return std::string("\"") + name + "\":{\"dtype\":\"F32\",\"shape\":" + shape + ",\"data_offsets\":[" +
           std::to_string(b) + "," + std::to_string(e) + "]}";
  };
  EXPECT_REFUSED(raw_file("{" + entry("t", "[3]", 0, 16) + "}", d), "has 16 bytes but its shape needs 12");
  EXPECT_REFUSED(raw_file("{" + entry("t", "[5]", 0, 20) + "}", d), "past the data size");
  EXPECT_REFUSED(raw_file("{" + entry("t", "[1]", 8, 4) + "}", d), "begin > end");
  EXPECT_REFUSED(raw_file("{" + entry("a", "[2]", 0, 8) + "," + entry("b", "[2]", 4, 12) + "," +
                          entry("c", "[1]", 12, 16) + "}", d),
                 "overlap");
  EXPECT_REFUSED(raw_file("{" + entry("a", "[1]", 0, 4) + "," + entry("b", "[2]", 8, 16) + "}", d),
                 "gap of 4 bytes before tensor \"b\"");
  EXPECT_REFUSED(raw_file("{" + entry("a", "[3]", 0, 12) + "}", d), "4 trailing bytes");
  // A shape whose product overflows 64 bits.
  EXPECT_REFUSED(raw_file("{" + entry("t", "[4294967296,4294967296,16]", 0, 16) + "}", d), "too large");
  EXPECT_REFUSED(raw_file("{" + entry("t", "[1,1,1,1,1,1,1,1,4]", 0, 16) + "}", d), "rank 9");
}

TEST(SafeTensors, WriterRefusesInconsistentTensors) {
  TensorFile f = sample();
  f.tensors[0].shape = {4, 3};
  EXPECT_THROW(reco::write_safetensors(f), reco::Error);
  f = sample();
  f.tensors[1].name = "a";
  EXPECT_THROW(reco::write_safetensors(f), reco::Error);
}

TEST(SafeTensors, EveryTruncationIsRefused) {
  const std::string bytes = reco::write_safetensors(sample());
  for (std::size_t n = 0; n < bytes.size(); ++n)
    EXPECT_THROW(reco::read_safetensors(std::string_view(bytes).substr(0, n)), reco::Error) << n;
}

TEST(SafeTensors, RandomCorruptionNeverCrashes) {
  const std::string bytes = reco::write_safetensors(sample());
  std::mt19937_64 rng(7);
  int refused = 0;
  for (int trial = 0; trial < 3000; ++trial) {
    std::string b = bytes;
    const int flips = 1 + int(rng() % 4);
    for (int k = 0; k < flips; ++k) b[rng() % b.size()] = static_cast<char>(rng());
    try {
      TensorFile f = reco::read_safetensors(b);
      for (const Tensor& t : f.tensors) {
        std::uint64_t n = 1;
        for (auto d : t.shape) n *= d;
        EXPECT_EQ(n, t.data.size());
      }
    } catch (const reco::Error&) {
      ++refused;
    }
  }
  EXPECT_GT(refused, 100);
}

// RECO.MODEL.PUT runs the framing check before it hashes the file, so a large blob whose
// first bytes are impossible is refused without a pass over it.
TEST(Safetensors, FramingCheckIsTheCheapPrefixOfTheReader) {
  std::string blob(64, 'x');
  EXPECT_THROW(reco::check_safetensors_framing(blob), reco::Error);  // header length huge
  std::string ok(8, '\0');
  ok[0] = 2;
  ok += "{}";
  EXPECT_EQ(reco::check_safetensors_framing(ok), 2u);
  std::string not_json = ok;
  not_json[8] = '[';
  EXPECT_THROW(reco::check_safetensors_framing(not_json), reco::Error);
  EXPECT_THROW(reco::read_safetensors(not_json), reco::Error);
  EXPECT_THROW(reco::check_safetensors_framing(std::string(7, '\0')), reco::Error);
}

}  // namespace
