// Crafted RDB/RESTORE payloads: every size a decoder reads is bounded by what remains of the
// input and by the catalog (dimension, slot count) before anything is sized from it, so
// forged counts, dimensions and truncated streams end in reco::Error quickly and without
// a large allocation (the sanitize build's ASan would also fail an attempt to allocate
// terabytes). Also: the loaders offer the source a yield point per item and per chunk,
// which the RDB adapter turns into RedisModule_Yield.
#include <gtest/gtest.h>

#include <chrono>
#include <cstring>
#include <random>
#include <string>

#include "reco/catalog.hpp"
#include "reco/codec.hpp"
#include "reco/error.hpp"
#include "reco/flat_index.hpp"
#include "reco/hnsw_index.hpp"

namespace {

std::string u64(std::uint64_t v) {
  reco::BufferSink s;
  s.put_u64(v);
  return s.bytes();
}

std::string bytes(std::string_view b) {
  reco::BufferSink s;
  s.put_bytes(b);
  return s.bytes();
}

template <class F>
void expect_fast_error(F&& f) {
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_THROW(f(), reco::Error);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(2));
}

std::unique_ptr<reco::Catalog> load_catalog_bytes(const std::string& b) {
  reco::BufferSource in(b);
  return reco::load_catalog(in, reco::kCatalogEncoding);
}

TEST(DecoderBounds, CatalogHugeDimensionIsRefused) {
  expect_fast_error([] { load_catalog_bytes(bytes("c") + u64(1ull << 40) + u64(0)); });
  expect_fast_error([] { load_catalog_bytes(bytes("c") + u64(0) + u64(0)); });
}

TEST(DecoderBounds, CatalogHugeCountsEndInTruncation) {
  const std::string head = bytes("c") + u64(4) + u64(0) + u64(1);
  // id bound past 32 bits; a huge free list; a huge item count: none is trusted.
  expect_fast_error([&] { load_catalog_bytes(head + u64(1ull << 33) + u64(0) + u64(0)); });
  expect_fast_error([&] { load_catalog_bytes(head + u64(UINT32_MAX) + u64(UINT64_MAX / 2)); });
  expect_fast_error([&] { load_catalog_bytes(head + u64(UINT32_MAX) + u64(0) + u64(UINT64_MAX)); });
  // A string length past the end of the payload.
  expect_fast_error([&] { load_catalog_bytes(u64(UINT64_MAX - 3) + "abc"); });
}

std::string saved_index(bool hnsw, std::size_t dim, std::uint32_t n) {
  std::unique_ptr<reco::VectorIndex> ix;
  if (hnsw)
    ix = std::make_unique<reco::HnswIndex>(dim, reco::Metric::L2, reco::HnswParams{});
  else
    ix = std::make_unique<reco::FlatIndex>(dim, reco::Metric::L2);
  std::mt19937_64 rng(1);
  for (std::uint32_t id = 0; id < n; ++id) {
    std::vector<float> v(dim);
    for (float& x : v) x = float(rng() % 100) / 10.0f;
    ix->set(id, v);
  }
  reco::BufferSink s;
  ix->save(s);
  return s.bytes();
}

TEST(DecoderBounds, IndexLargerThanTheCatalogIsRefused) {
  for (bool hnsw : {false, true}) {
    const std::string b = saved_index(hnsw, 8, 40);
    {
      reco::BufferSource in(b);
      EXPECT_NO_THROW(reco::load_vector_index(in, 8, reco::Metric::L2, 40));
    }
    reco::BufferSource in(b);
    EXPECT_THROW(reco::load_vector_index(in, 8, reco::Metric::L2, 39), reco::Error) << hnsw;
  }
}

TEST(DecoderBounds, HnswHugeSlotCountWithATinyChunkAllocatesNothing) {
  // The slot count is the 12th u64 of a saved graph (kind, version, dim, metric, m, m0,
  // ef_construction, ef_search, seed, quant, keep_float, slots).
  constexpr std::size_t dim = 4096;
  std::string b = saved_index(true, dim, 0);
  const std::string forged = u64(UINT32_MAX - 1);
  b.replace(11 * 8, 8, forged);
  b += bytes(std::string(1, '\0'));  // one chunk of a single byte
  expect_fast_error([&] {
    reco::BufferSource in(b);
    reco::load_vector_index(in, dim, reco::Metric::L2);
  });
}

TEST(DecoderBounds, TruncatedPayloadsFailAtEveryLength) {
  auto c = std::make_unique<reco::Catalog>("films", 4, reco::Metric::Cosine);
  for (int i = 0; i < 20; ++i) {
    reco::ItemUpdate u;
    u.vector = std::vector<float>{1.0f + i, 2, 3, 4};
    u.terms = std::vector<std::string>{"t" + std::to_string(i % 3)};
    c->upsert("i" + std::to_string(i), u);
  }
  reco::BufferSink s;
  reco::save_catalog(*c, s);
  const std::string full = s.bytes();
  for (std::size_t len = 0; len < full.size(); len += 7) {
    reco::BufferSource in(std::string_view(full).substr(0, len));
    EXPECT_THROW(reco::load_catalog(in, reco::kCatalogEncoding), reco::Error) << len;
  }
}

TEST(DecoderBounds, UserHugeClaimsAreRefused) {
  auto load = [](const std::string& b) {
    reco::BufferSource in(b);
    return reco::load_user(in, reco::kUserEncoding);
  };
  expect_fast_error([&] { load(u64(1ull << 60)); });                      // vector length
  expect_fast_error([&] { load(bytes("") + u64(UINT64_MAX)); });          // term count
  expect_fast_error([&] { load(bytes("") + u64(0) + u64(UINT64_MAX)); });  // feature count
  expect_fast_error([&] { load(bytes("") + u64(0) + u64(0) + bytes("1234567")); });  // seen block
}

// A source that counts the loaders' yield points.
class CountingSource final : public reco::ByteSource {
 public:
  explicit CountingSource(std::string_view b) : in_(b) {}
  std::uint64_t get_u64() override { return in_.get_u64(); }
  double get_double() override { return in_.get_double(); }
  std::string get_bytes() override { return in_.get_bytes(); }
  void yield_point() override { ++yields; }
  std::size_t yields = 0;

 private:
  reco::BufferSource in_;
};

TEST(DecoderBounds, LoadingOffersAYieldPointPerItem) {
  auto c = std::make_unique<reco::Catalog>("films", 2, reco::Metric::Cosine);
  for (int i = 0; i < 3000; ++i) {
    reco::ItemUpdate u;
    u.vector = std::vector<float>{1.0f + i, 2};
    c->upsert("i" + std::to_string(i), u);
  }
  reco::BufferSink s;
  reco::save_catalog(*c, s);
  CountingSource in(s.bytes());
  auto back = reco::load_catalog(in, reco::kCatalogEncoding);
  EXPECT_EQ(back->size(), 3000u);
  EXPECT_GE(in.yields, 3000u);
}

}  // namespace
