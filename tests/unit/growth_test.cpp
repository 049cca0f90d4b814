// Allocation growth: loading n items, or deleting them, must allocate O(n) bytes in total.
// Counted through the engine's memory hooks rather than timed, so the test is exact and
// machine-independent: a container re-reserved to "size + 1" on every insert copies
// itself each time (O(n^2) bytes), which a doubling container never does.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <string>
#include <vector>

#include "reco/catalog.hpp"
#include "reco/flat_index.hpp"
#include "reco/memory.hpp"

namespace {

std::atomic<std::size_t> g_allocated{0};

void* counting_alloc(std::size_t n) {
  g_allocated += n;
  return std::malloc(n);
}

// The hooks stay malloc/free underneath, so objects of other tests are unaffected.
class Growth : public ::testing::Test {
 protected:
  void SetUp() override { reco::set_memory_hooks({&counting_alloc, &std::free}); }
  std::size_t allocated_since(std::size_t mark) const { return g_allocated.load() - mark; }
};

TEST_F(Growth, FlatIndexSequentialInserts) {
  constexpr std::size_t kDim = 8, kN = 4000;
  reco::FlatIndex ix(kDim, reco::Metric::InnerProduct);
  std::vector<float> v(kDim, 1.0f);
  std::size_t mark = g_allocated.load();
  for (std::uint32_t id = 0; id < kN; ++id) ix.set(id, v);
  // Rows, norms and flags: 37 bytes an id. Geometric growth allocates a small multiple of
  // that in total; copying on every insert would be ~2,000 times as much.
  const std::size_t footprint = kN * (kDim * 4 + 4 + 1);
  EXPECT_LE(allocated_since(mark), 4 * footprint + 4096)
      << "FlatIndex::set reallocates its arrays on (nearly) every new id";
}

TEST_F(Growth, CatalogInserts) {
  constexpr std::size_t kDim = 8, kN = 4000;
  reco::Catalog c("c", kDim, reco::Metric::InnerProduct, {.kind = reco::IndexKind::Flat});
  std::size_t mark = g_allocated.load();
  for (std::size_t i = 0; i < kN; ++i) {
    reco::ItemUpdate u;
    u.vector = std::vector<float>(kDim, 0.5f);
    c.upsert("i" + std::to_string(i), u);
  }
  EXPECT_LE(allocated_since(mark), 4 * c.memory_bytes() + 65536)
      << "memory_bytes " << c.memory_bytes();
}

// A graph index allocates per insert (its candidate lists), but a bounded amount: doubling
// the catalog must not more than double what loading it allocates.
TEST_F(Growth, GraphCatalogInsertsAllocateLinearly) {
  constexpr std::size_t kDim = 8;
  auto load = [](std::size_t n) {
    reco::Catalog c("c", kDim, reco::Metric::L2, {.kind = reco::IndexKind::Hnsw});
    std::size_t mark = g_allocated.load();
    for (std::size_t i = 0; i < n; ++i) {
      reco::ItemUpdate u;
      u.vector = std::vector<float>(kDim, 0.0f);
      for (std::size_t j = 0; j < kDim; ++j) (*u.vector)[j] = float((i * 7919 + j * 104729) % 1000) / 1000.0f;
      c.upsert("i" + std::to_string(i), u);
    }
    return g_allocated.load() - mark;
  };
  const std::size_t small = load(2000), large = load(4000);
  EXPECT_LE(large, 2.6 * small) << "allocation grows faster than the catalog";
}

TEST_F(Growth, CatalogErases) {
  constexpr std::size_t kN = 4000;
  reco::Catalog c("c", 2, reco::Metric::InnerProduct);
  for (std::size_t i = 0; i < kN; ++i) {
    reco::ItemUpdate u;
    u.vector = std::vector<float>{1.0f, 2.0f};
    u.terms = std::vector<std::string>{"t"};
    c.upsert("i" + std::to_string(i), u);
  }
  std::size_t mark = g_allocated.load();
  for (std::size_t i = 0; i < kN; ++i) ASSERT_TRUE(c.erase("i" + std::to_string(i)));
  // The free list ends at 16 KB; growing it one slot at a time would allocate ~32 MB.
  EXPECT_LE(allocated_since(mark), 16 * kN * sizeof(std::uint32_t) + 65536)
      << "Catalog::erase reallocates the free list on every erase";
  EXPECT_EQ(c.size(), 0u);
}

}  // namespace
