// Factor files: .npy / .csv / .tsv round trips (exact floats), reading .npy
// files as other tools write them (float64, big-endian, Fortran order,
// version 2 headers, integer and unicode id arrays), and rejection of
// inconsistent files.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "reco_offline/factor_files.hpp"
#include "reco_offline/npy.hpp"
#include "reco_offline/text_input.hpp"
#include "expect_data_error.hpp"
#include "temp_dir.hpp"

using namespace reco_offline;
using reco_offline::test::TempDir;
using reco_offline::test::expect_error;

namespace {

FactorTable sample(std::vector<std::string> ids, int dim) {
  FactorTable t;
  t.ids = std::move(ids);
  t.vectors.resize(static_cast<Eigen::Index>(t.ids.size()), dim);
  for (Eigen::Index r = 0; r < t.vectors.rows(); ++r)
    for (Eigen::Index c = 0; c < dim; ++c) t.vectors(r, c) = 1.0f / 3.0f * static_cast<float>(r + 1) - 0.1f * c + 1e-7f * c;
  return t;
}

bool equal(const FactorTable& a, const FactorTable& b) {
  return a.ids == b.ids && a.vectors.rows() == b.vectors.rows() && a.vectors.cols() == b.vectors.cols() &&
         (a.vectors.array() == b.vectors.array()).all();
}

// A hand-built .npy file: magic, version, little-endian header length, header, data.
std::string npy_bytes(int major, const std::string& dict, const std::string& data) {
  std::string header = dict;
  const size_t prefix = major == 1 ? 10 : 12;
  while ((prefix + header.size() + 1) % 64) header.push_back(' ');
  header.push_back('\n');
  std::string out = std::string("\x93NUMPY", 6) + static_cast<char>(major) + '\0';
  const size_t len = header.size();
  out.push_back(static_cast<char>(len & 0xff));
  out.push_back(static_cast<char>((len >> 8) & 0xff));
  if (major != 1) out.append(2, '\0');
  return out + header + data;
}

template <class T>
std::string raw(std::initializer_list<T> values, bool big_endian = false) {
  std::string out;
  for (T v : values) {
    char b[sizeof(T)];
    std::memcpy(b, &v, sizeof(T));
    if (big_endian) std::reverse(b, b + sizeof(T));
    out.append(b, sizeof(T));
  }
  return out;
}


}  // namespace

TEST(FactorFiles, RoundTripsEveryFormat) {
  TempDir d;
  const FactorTable t = sample({"1", "22", "333"}, 5);
  write_factors(t, d.file("f.npy"), d.file("ids.txt"));
  EXPECT_TRUE(equal(read_factors(d.file("f.npy"), d.file("ids.txt")), t));
  write_factors(t, d.file("f2.npy"), d.file("ids.npy"));  // integer ids as a '<i8' array
  EXPECT_TRUE(equal(read_factors(d.file("f2.npy"), d.file("ids.npy")), t));
  write_factors(t, d.file("f.csv"));
  EXPECT_TRUE(equal(read_factors(d.file("f.csv")), t));
  write_factors(t, d.file("f.tsv"));
  EXPECT_TRUE(equal(read_factors(d.file("f.tsv")), t));
  const FactorTable named = sample({"tt0114709", "movie two", "x"}, 3);
  write_factors(named, d.file("n.npy"), d.file("n_ids.npy"));  // string ids as '|S'
  EXPECT_TRUE(equal(read_factors(d.file("n.npy"), d.file("n_ids.npy")), named));
}

TEST(FactorFiles, NpyHeaderIsAlignedAndParsable) {
  TempDir d;
  write_npy(d.file("m.npy"), sample({"a", "b"}, 4).vectors);
  const std::string bytes = read_whole_file(d.file("m.npy"));
  const size_t header_len = static_cast<unsigned char>(bytes[8]) | (static_cast<unsigned char>(bytes[9]) << 8);
  EXPECT_EQ((10 + header_len) % 64, 0u);
  EXPECT_NE(bytes.find("'descr': '<f4'"), std::string::npos);
  EXPECT_NE(bytes.find("'shape': (2, 4)"), std::string::npos);
  EXPECT_EQ(bytes.size(), 10 + header_len + 2 * 4 * sizeof(float));
}

TEST(FactorFiles, ReadsNpyAsOtherToolsWriteIt) {
  TempDir d;
  // float64, C order
  d.write("f8.npy", npy_bytes(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }",
                              raw<double>({1, 2, 3, 4, 5, 6})));
  FactorMatrix m = read_npy_matrix(d.file("f8.npy"));
  EXPECT_EQ(m.rows(), 2);
  EXPECT_EQ(m(1, 0), 4.0f);
  // float32, Fortran order: the data is column by column.
  d.write("fo.npy", npy_bytes(1, "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }",
                              raw<float>({1, 4, 2, 5, 3, 6})));
  m = read_npy_matrix(d.file("fo.npy"));
  EXPECT_EQ(m(0, 1), 2.0f);
  EXPECT_EQ(m(1, 2), 6.0f);
  // big-endian float32, version 2 header
  d.write("be.npy", npy_bytes(2, "{'descr': '>f4', 'fortran_order': False, 'shape': (1, 2), }",
                              raw<float>({1.5f, -2.25f}, true)));
  m = read_npy_matrix(d.file("be.npy"));
  EXPECT_EQ(m(0, 0), 1.5f);
  EXPECT_EQ(m(0, 1), -2.25f);
  // float16 (1.0 = 0x3c00, -2.0 = 0xc000)
  d.write("f2.npy", npy_bytes(1, "{'descr': '<f2', 'fortran_order': False, 'shape': (1, 2), }",
                              raw<uint16_t>({0x3c00, 0xc000})));
  m = read_npy_matrix(d.file("f2.npy"));
  EXPECT_EQ(m(0, 0), 1.0f);
  EXPECT_EQ(m(0, 1), -2.0f);
  // int32 ids and unicode ids
  d.write("i4.npy", npy_bytes(1, "{'descr': '<i4', 'fortran_order': False, 'shape': (3,), }", raw<int32_t>({7, -1, 42})));
  EXPECT_EQ(read_npy_ids(d.file("i4.npy")), (std::vector<std::string>{"7", "-1", "42"}));
  d.write("u.npy", npy_bytes(1, "{'descr': '<U3', 'fortran_order': False, 'shape': (2,), }",
                             raw<uint32_t>({'a', 'b', 'c', 0xe9, 0, 0})));
  EXPECT_EQ(read_npy_ids(d.file("u.npy")), (std::vector<std::string>{"abc", "\xc3\xa9"}));
}

TEST(FactorFiles, RejectsBrokenNpy) {
  TempDir d;
  d.write("bad.npy", "not numpy at all");
  expect_error([&] { read_npy_matrix(d.file("bad.npy")); }, "bad magic");
  d.write("short.npy", npy_bytes(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", raw<float>({1, 2})));
  expect_error([&] { read_npy_matrix(d.file("short.npy")); }, "shorter than its shape");
  d.write("int.npy", npy_bytes(1, "{'descr': '<i4', 'fortran_order': False, 'shape': (1, 1), }", raw<int32_t>({1})));
  expect_error([&] { read_npy_matrix(d.file("int.npy")); }, "float");
  d.write("nan.npy", npy_bytes(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 1), }", raw<float>({NAN})));
  expect_error([&] { read_npy_matrix(d.file("nan.npy")); }, "not finite");
  d.write("v.npy", npy_bytes(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }", raw<float>({1, 2, 3})));
  expect_error([&] { read_npy_matrix(d.file("v.npy")); }, "2-D");
  // ids that do not match the rows
  write_npy(d.file("m.npy"), sample({"a", "b"}, 2).vectors);
  d.write("ids.txt", "a\nb\nc\n");
  expect_error([&] { read_factors(d.file("m.npy"), d.file("ids.txt")); }, "3 ids for the 2 rows");
  d.write("ids.txt", "a\na\n");
  expect_error([&] { read_factors(d.file("m.npy"), d.file("ids.txt")); }, "appears twice");
  d.write("ids.txt", "a\n\nb\n");
  expect_error([&] { read_factors(d.file("m.npy"), d.file("ids.txt")); }, "ids.txt:2:");
  expect_error([&] { read_factors(d.file("m.npy")); }, "id list");
}

TEST(FactorFiles, DelimitedHeadersAndErrors) {
  TempDir d;
  // pandas' to_csv with default column names: an empty first header cell.
  d.write("p.csv", ",0,1\n5,0.5,1.5\n6,-1,2e-3\n");
  FactorTable t = read_factors(d.file("p.csv"));
  EXPECT_EQ(t.ids, (std::vector<std::string>{"5", "6"}));
  EXPECT_EQ(t.vectors(1, 1), 2e-3f);
  d.write("n.tsv", "9\t1\t2\n10\t3\t4\n");  // no header
  t = read_factors(d.file("n.tsv"));
  EXPECT_EQ(t.ids.size(), 2u);
  EXPECT_EQ(t.vectors(0, 0), 1.0f);
  d.write("ragged.csv", "id,a,b\n1,0.5,1\n2,0.5\n");
  expect_error([&] { read_factors(d.file("ragged.csv")); }, "ragged.csv:3: expected 2 values, got 1");
  d.write("nan.csv", "id,a\n1,nan\n");
  expect_error([&] { read_factors(d.file("nan.csv")); }, "nan.csv:2:");
  d.write("word.tsv", "1\t0.5\n2\tabc\n");
  expect_error([&] { read_factors(d.file("word.tsv")); }, "word.tsv:2: vector value is not a number");
  d.write("dup.csv", "1,0.5\n1,0.7\n");
  expect_error([&] { read_factors(d.file("dup.csv")); }, "appears twice");
  expect_error([&] { read_factors(d.file("x.parquet")); }, "unknown factor file type");
}

TEST(FactorFiles, ConvertingThroughEveryFormatKeepsEveryBit) {
  TempDir d;
  const FactorTable t = sample({"10", "20", "30", "40"}, 16);
  write_factors(t, d.file("a.csv"));
  write_factors(read_factors(d.file("a.csv")), d.file("b.tsv"));
  write_factors(read_factors(d.file("b.tsv")), d.file("c.npy"), d.file("c.ids.txt"));
  EXPECT_TRUE(equal(read_factors(d.file("c.npy"), d.file("c.ids.txt")), t));
}
