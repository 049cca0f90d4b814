// Run-time distance kernels (reco/kernels.hpp): every kernel this CPU can run returns the
// scalar reference's very bits for every length and alignment, and the indexes answer (and
// build) identically under each of them.
//
// Bits, not a tolerance: the kernels share one summation order (reco/kernel_table.hpp) so
// that a graph is the same on every CPU of a cluster; a tolerance would let a kernel drift
// from it unnoticed. The scalar reference itself is checked against double precision.
#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "reco/codec.hpp"
#include "reco/flat_index.hpp"
#include "reco/hnsw_distance.hpp"
#include "reco/hnsw_index.hpp"
#include "reco/hnsw_quantizer.hpp"
#include "reco/kernels.hpp"

namespace {

using reco::kernels::Table;

// Restores the load-time choice, whatever a test forced.
struct KernelGuard {
  ~KernelGuard() { reco::set_kernel("auto"); }
};

const Table& table_of(std::string_view name) {
  EXPECT_TRUE(reco::set_kernel(name)) << name;
  return reco::kernels::active();
}

std::vector<std::string> kernel_names() {
  std::vector<std::string> out;
  for (std::string_view k : reco::available_kernels()) out.emplace_back(k);
  return out;
}

// Same float, bit for bit (so +0 and -0 differ, and a NaN would fail).
::testing::AssertionResult same_bits(float got, float want) {
  if (std::bit_cast<std::uint32_t>(got) == std::bit_cast<std::uint32_t>(want))
    return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << got << " != " << want << " (" << got - want << ")";
}

TEST(Kernels, ListAndChoice) {
  KernelGuard guard;
  const auto names = kernel_names();
  ASSERT_GE(names.size(), 2u);
  EXPECT_EQ(names.back(), "scalar");
  EXPECT_EQ(names[names.size() - 2], reco::kernels::kGeneric.name);
  // The load-time choice is the widest one unless RECO_KERNEL picked another.
  if (!std::getenv("RECO_KERNEL")) {
    EXPECT_EQ(reco::active_kernel_name(), names.front());
  }
  for (const auto& n : names) {
    EXPECT_TRUE(reco::set_kernel(n)) << n;
    EXPECT_EQ(reco::active_kernel_name(), n);
    EXPECT_EQ(reco::kernels::active().name, n);
  }
  EXPECT_FALSE(reco::set_kernel("avx1024"));
  EXPECT_FALSE(reco::set_kernel(""));
  EXPECT_EQ(reco::active_kernel_name(), names.back());  // a refused name changes nothing
  EXPECT_TRUE(reco::set_kernel("auto"));
  EXPECT_EQ(reco::active_kernel_name(), names.front());
#if defined(__x86_64__)
  for (std::string_view n : {"avx512", "avx2"}) {
    bool listed = false;
    for (const auto& m : names) listed |= m == n;
    EXPECT_EQ(reco::set_kernel(n), listed) << n;
  }
#endif
}

TEST(Kernels, ScalarReferenceIsRight) {
  std::mt19937_64 rng(1);
  std::normal_distribution<float> g;
  for (std::size_t n : {1u, 3u, 16u, 17u, 64u, 100u, 300u}) {
    std::vector<float> a(n), b(n);
    for (auto& x : a) x = g(rng);
    for (auto& x : b) x = g(rng);
    double dot = 0, l2 = 0, mag = 0;
    for (std::size_t i = 0; i < n; ++i) {
      dot += double(a[i]) * b[i];
      l2 += (double(a[i]) - b[i]) * (double(a[i]) - b[i]);
      mag += std::fabs(double(a[i]) * b[i]);
    }
    EXPECT_NEAR(reco::kernels::kScalar.dot(a.data(), b.data(), n), dot, 1e-5 * (mag + 1)) << n;
    EXPECT_NEAR(reco::kernels::kScalar.l2sq(a.data(), b.data(), n), l2, 1e-5 * (l2 + 1)) << n;
  }
}

// The ranking model's dense layer: every table gives the scalar table's bits for shapes
// around every register-block edge (candidate counts around each table's block of C rows,
// outputs around the 16-lane block, one input, padded leading dimensions), and the scalar
// one agrees with double precision; relu maps negatives and NaN to 0.
TEST(Kernels, DenseLayerGivesTheScalarBitsForEveryShape) {
  KernelGuard guard;
  std::mt19937_64 rng(9);
  std::normal_distribution<float> g;
  const Table& ref = reco::kernels::kScalar;
  for (const std::size_t out : {1, 2, 15, 16, 17, 32, 33}) {
    for (const std::size_t in : {1, 3, 16, 33}) {
      for (const std::size_t rows : {1, 3, 4, 7, 8, 9, 64}) {
        const std::size_t lda = in + 2, ldz = out + 1;
        std::vector<float> wt(in * out), bias(out), a(rows * lda);
        for (auto& x : wt) x = g(rng);
        for (auto& x : bias) x = g(rng);
        for (auto& x : a) x = g(rng);
        a[0] = std::nanf("");  // one NaN input: row 0's outputs are NaN before relu
        for (const bool relu : {false, true}) {
          std::vector<float> want(rows * ldz, -7.0f), got(rows * ldz, -7.0f);
          ref.dense_layer(wt.data(), bias.data(), out, in, a.data(), lda, rows, want.data(), ldz, relu);
          for (std::size_t r = 1; r < rows; ++r)
            for (std::size_t o = 0; o < out; ++o) {
              double s = bias[o];
              for (std::size_t i = 0; i < in; ++i) s += double(wt[i * out + o]) * a[r * lda + i];
              if (relu) s = std::max(s, 0.0);
              ASSERT_NEAR(want[r * ldz + o], s, 1e-4 * (std::fabs(s) + 1));
            }
          for (std::size_t o = 0; o < out; ++o) {
            if (relu) ASSERT_EQ(want[o], 0.0f);
            else ASSERT_TRUE(std::isnan(want[o]));
          }
          for (std::size_t r = 0; r < rows; ++r) ASSERT_EQ(want[r * ldz + out], -7.0f);  // padding untouched
          for (const auto& name : kernel_names()) {
            SCOPED_TRACE(std::string(name) + " out " + std::to_string(out) + " in " + std::to_string(in) +
                         " rows " + std::to_string(rows));
            std::fill(got.begin(), got.end(), -7.0f);
            table_of(name).dense_layer(wt.data(), bias.data(), out, in, a.data(), lda, rows, got.data(), ldz,
                                       relu);
            for (std::size_t e = 0; e < got.size(); ++e)
              ASSERT_TRUE(same_bits(got[e], want[e]) || (std::isnan(got[e]) && std::isnan(want[e]))) << e;
          }
        }
      }
    }
  }
}

// Every table against the scalar one, and the header's inline kernels (what the graph walk
// inlines when the SSE kernels are active) against it too.
TEST(Kernels, EveryKernelGivesTheScalarBitsAtEveryLengthAndAlignment) {
  KernelGuard guard;
  std::mt19937_64 rng(7);
  std::normal_distribution<float> g;
  std::uniform_int_distribution<int> code(-128, 127);
  constexpr std::size_t kMax = 300, kShift = 3;
  std::vector<float> fa(kMax + kShift), fb(kMax + kShift), out(8), want(8);
  std::vector<std::int8_t> ca(kMax + kShift), cb(kMax + kShift);
  const Table& ref = reco::kernels::kScalar;
  for (const auto& name : kernel_names()) {
    const Table& k = table_of(name);
    SCOPED_TRACE(name);
    for (std::size_t n = 1; n <= kMax; ++n) {
      for (auto& x : fa) x = g(rng);
      for (auto& x : fb) x = g(rng);
      for (auto& x : ca) x = static_cast<std::int8_t>(code(rng));
      for (auto& x : cb) x = static_cast<std::int8_t>(code(rng));
      const float sa = std::fabs(g(rng)) / 127, sb = std::fabs(g(rng)) / 127;
      // Offsets of 0..3 elements: floats 4-byte aligned but not 16, codes at any byte.
      for (std::size_t oa = 0; oa <= kShift; ++oa) {
        const std::size_t ob = (oa + n) % (kShift + 1);
        const float *a = fa.data() + oa, *b = fb.data() + ob;
        const std::int8_t *x = ca.data() + oa, *y = cb.data() + ob;
        SCOPED_TRACE("n " + std::to_string(n) + " offsets " + std::to_string(oa) + "," +
                     std::to_string(ob));
        ASSERT_TRUE(same_bits(k.dot(a, b, n), ref.dot(a, b, n)));
        ASSERT_TRUE(same_bits(k.l2sq(a, b, n), ref.l2sq(a, b, n)));
        ASSERT_TRUE(same_bits(k.dot_q(a, x, n), ref.dot_q(a, x, n)));
        ASSERT_TRUE(same_bits(k.l2sq_q(a, x, sa, n), ref.l2sq_q(a, x, sa, n)));
        ASSERT_TRUE(same_bits(k.dot_qq(x, y, n), ref.dot_qq(x, y, n)));
        ASSERT_TRUE(same_bits(k.l2sq_qq(x, sa, y, sb, n), ref.l2sq_qq(x, sa, y, sb, n)));
        ASSERT_TRUE(same_bits(reco::hnsw::dot(a, b, n), ref.dot(a, b, n)));
        ASSERT_TRUE(same_bits(reco::hnsw::l2sq(a, b, n), ref.l2sq(a, b, n)));
        ASSERT_TRUE(same_bits(reco::hnsw::dot_q(a, x, n), ref.dot_q(a, x, n)));
        ASSERT_TRUE(same_bits(reco::hnsw::l2sq_q(a, x, sa, n), ref.l2sq_q(a, x, sa, n)));
        ASSERT_TRUE(same_bits(reco::hnsw::dot_qq(x, y, n), ref.dot_qq(x, y, n)));
        ASSERT_TRUE(same_bits(reco::hnsw::l2sq_qq(x, sa, y, sb, n), ref.l2sq_qq(x, sa, y, sb, n)));
        // dot_rows: rows of n floats back to back (so most rows start unaligned), and rows
        // inside longer records (stride n + 3, as a graph block holds its vector).
        for (const std::size_t stride : {n, n + 3}) {
          const std::size_t rows = std::min<std::size_t>(8, (kMax + kShift - oa - n) / stride + 1);
          k.dot_rows(b, fa.data() + oa, n, stride, rows, out.data());
          ref.dot_rows(b, fa.data() + oa, n, stride, rows, want.data());
          for (std::size_t r = 0; r < rows; ++r) {
            ASSERT_TRUE(same_bits(out[r], want[r])) << "row " << r << " stride " << stride;
            ASSERT_TRUE(same_bits(out[r], ref.dot(fa.data() + oa + r * stride, b, n))) << "row " << r;
          }
        }
      }
    }
  }
}

// Codes summed as integers where that is exact, as floats beyond; extreme codes (-128 is
// never written by quantize(), but a loaded payload may hold it) and long vectors.
TEST(Kernels, Int8ProductsAtTheExtremesAndPastTheIntegerRange) {
  KernelGuard guard;
  std::mt19937_64 rng(11);
  for (const auto& name : kernel_names()) {
    const Table& k = table_of(name);
    SCOPED_TRACE(name);
    for (std::size_t n : {1023u, 1024u, 1025u, 1040u, 2049u, 4096u}) {
      std::vector<std::int8_t> a(n, -128), b(n, -128), c(n), d(n);
      std::uniform_int_distribution<int> code(-128, 127);
      for (auto& x : c) x = static_cast<std::int8_t>(code(rng));
      for (auto& x : d) x = static_cast<std::int8_t>(code(rng));
      const Table& ref = reco::kernels::kScalar;
      EXPECT_TRUE(same_bits(k.dot_qq(a.data(), b.data(), n), ref.dot_qq(a.data(), b.data(), n))) << n;
      EXPECT_TRUE(same_bits(k.dot_qq(c.data(), d.data(), n), ref.dot_qq(c.data(), d.data(), n))) << n;
      EXPECT_TRUE(same_bits(k.dot_qq(a.data(), d.data(), n), ref.dot_qq(a.data(), d.data(), n))) << n;
    }
  }
}

// Zeros: every kernel returns +0 (the walk orders distances by their bits, -0 before +0).
TEST(Kernels, ZeroVectorsGivePositiveZero) {
  KernelGuard guard;
  std::vector<float> z(67, 0.0f), nz(67, -0.0f);
  std::vector<std::int8_t> c(67, 0);
  for (const auto& name : kernel_names()) {
    const Table& k = table_of(name);
    for (std::size_t n : {1u, 4u, 16u, 67u}) {
      EXPECT_TRUE(same_bits(k.dot(z.data(), nz.data(), n), 0.0f)) << name << " " << n;
      EXPECT_TRUE(same_bits(k.l2sq(nz.data(), z.data(), n), 0.0f)) << name << " " << n;
      EXPECT_TRUE(same_bits(k.dot_qq(c.data(), c.data(), n), 0.0f)) << name << " " << n;
    }
  }
}

std::vector<float> clustered(std::mt19937_64& rng, std::size_t n, std::size_t dim) {
  std::normal_distribution<float> g;
  std::vector<float> centres(20 * dim), out(n * dim);
  for (auto& x : centres) x = g(rng);
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t c = rng() % 20;
    for (std::size_t j = 0; j < dim; ++j) out[i * dim + j] = centres[c * dim + j] + 0.3f * g(rng);
  }
  return out;
}

struct IndexCase {
  const char* name;
  bool hnsw;
  reco::Metric metric;
  reco::HnswQuant quant;
  bool keep_float;
  std::size_t dim;
};

std::unique_ptr<reco::VectorIndex> build(const IndexCase& c, const std::vector<float>& base) {
  std::unique_ptr<reco::VectorIndex> ix;
  if (c.hnsw) {
    reco::HnswParams p;
    p.m = 8;
    p.ef_construction = 64;
    p.quant = c.quant;
    p.keep_float = c.keep_float;
    ix = std::make_unique<reco::HnswIndex>(c.dim, c.metric, p);
  } else {
    ix = std::make_unique<reco::FlatIndex>(c.dim, c.metric);
  }
  const std::size_t n = base.size() / c.dim;
  for (std::uint32_t id = 0; id < n; ++id) ix->set(id, {base.data() + id * c.dim, c.dim});
  for (std::uint32_t id = 0; id < n; id += 9) ix->remove(id);  // tombstones, relinking
  return ix;
}

std::string saved(const reco::VectorIndex& ix) {
  reco::BufferSink sink;
  ix.save(sink);
  return sink.bytes();
}

class KernelIndexes : public ::testing::TestWithParam<IndexCase> {};

// One index built under the load-time kernel, searched under each (walk, filtered walk,
// exact scan): the same ids and the same scores. And the index built under each kernel is
// the same graph, byte for byte.
TEST_P(KernelIndexes, SameAnswersAndSameGraphUnderEveryKernel) {
  KernelGuard guard;
  const IndexCase& c = GetParam();
  std::mt19937_64 rng(5);
  const std::size_t n = c.hnsw ? 1500 : 3000;
  const auto base = clustered(rng, n, c.dim);
  const auto queries = clustered(rng, 40, c.dim);
  const auto ix = build(c, base);
  const std::string graph = saved(*ix);

  auto answers = [&](const reco::VectorIndex& index) {
    std::vector<std::vector<reco::Hit>> all;
    for (std::size_t q = 0; q < 40; ++q) {
      const std::span<const float> v{queries.data() + q * c.dim, c.dim};
      reco::ItemFilter none, some;
      some.exclude(std::vector<std::uint32_t>{1, 2, 3, 50, 51, 52});
      reco::SearchParams exact;
      exact.exact = true;
      all.push_back(index.search(v, 10, none));
      all.push_back(index.search(v, 10, some));
      all.push_back(index.search(v, 10, none, exact));
    }
    return all;
  };
  const auto want = answers(*ix);
  for (const auto& name : kernel_names()) {
    SCOPED_TRACE(name);
    ASSERT_TRUE(reco::set_kernel(name));
    const auto got = answers(*ix);
    ASSERT_EQ(got.size(), want.size());
    for (std::size_t i = 0; i < got.size(); ++i) {
      ASSERT_EQ(got[i].size(), want[i].size()) << "query " << i / 3;
      for (std::size_t j = 0; j < got[i].size(); ++j) {
        EXPECT_EQ(got[i][j].id, want[i][j].id) << "query " << i / 3 << " rank " << j;
        EXPECT_TRUE(same_bits(got[i][j].score, want[i][j].score)) << "query " << i / 3;
      }
    }
    if (c.hnsw) {
      const auto rebuilt = build(c, base);
      EXPECT_TRUE(saved(*rebuilt) == graph) << "the graph built under " << name << " differs";
    }
  }
}

INSTANTIATE_TEST_SUITE_P(
    Indexes, KernelIndexes,
    ::testing::Values(IndexCase{"flat_ip", false, reco::Metric::InnerProduct, reco::HnswQuant::None, false, 37},
                      IndexCase{"flat_l2", false, reco::Metric::L2, reco::HnswQuant::None, false, 64},
                      IndexCase{"hnsw_l2", true, reco::Metric::L2, reco::HnswQuant::None, false, 64},
                      IndexCase{"hnsw_cosine", true, reco::Metric::Cosine, reco::HnswQuant::None, false, 45},
                      IndexCase{"hnsw_int8_ip", true, reco::Metric::InnerProduct, reco::HnswQuant::Int8, false, 33},
                      IndexCase{"hnsw_int8_l2_float", true, reco::Metric::L2, reco::HnswQuant::Int8, true, 100}),
    [](const auto& info) { return std::string(info.param.name); });

}  // namespace
