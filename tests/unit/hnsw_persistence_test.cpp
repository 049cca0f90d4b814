// Saving and loading vector indexes (HnswIndex, FlatIndex, load_vector_index): a round
// trip answers every query identically, and every truncation and many random corruptions
// of a payload are refused with reco::Error or load into something that still works,
// never a crash or an out-of-bounds read (run once under -fsanitize=address as well).
#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "reco/codec.hpp"
#include "reco/error.hpp"
#include "reco/flat_index.hpp"
#include "reco/hnsw_index.hpp"

namespace {

using reco::Metric;

std::vector<float> rnd(std::mt19937_64& rng, std::size_t dim) {
  std::normal_distribution<float> g;
  std::vector<float> v(dim);
  for (auto& x : v) x = g(rng);
  return v;
}

// A small index with sparse ids, updates, deletes (so tombstones and freed slots exist).
std::unique_ptr<reco::VectorIndex> make(bool hnsw, Metric m, std::size_t dim, std::size_t n,
                                        reco::HnswParams p = {}) {
  std::mt19937_64 rng(3);
  std::unique_ptr<reco::VectorIndex> ix;
  if (hnsw)
    ix = std::make_unique<reco::HnswIndex>(dim, m, p);
  else
    ix = std::make_unique<reco::FlatIndex>(dim, m);
  for (std::uint32_t id = 0; id < n; ++id)
    if (id % 5 != 4) ix->set(id, rnd(rng, dim));
  for (std::uint32_t id = 0; id < n; id += 7) ix->remove(id);
  for (std::uint32_t id = 1; id < n; id += 11) ix->set(id, rnd(rng, dim));
  return ix;
}

void expect_same_answers(const reco::VectorIndex& a, const reco::VectorIndex& b, std::size_t dim) {
  std::mt19937_64 rng(9);
  ASSERT_EQ(a.size(), b.size());
  for (int i = 0; i < 30; ++i) {
    auto q = rnd(rng, dim);
    reco::ItemFilter f;
    if (i % 3 == 1) f.exclude(std::vector<std::uint32_t>{1, 2, 3, 12, 40});
    if (i % 3 == 2) f.restrict_to({0, 5, 6, 8, 9, 20, 21, 33, 57});
    auto ha = a.search(q, 10, f), hb = b.search(q, 10, f);
    ASSERT_EQ(ha.size(), hb.size());
    for (std::size_t j = 0; j < ha.size(); ++j) {
      EXPECT_EQ(ha[j].id, hb[j].id);
      EXPECT_EQ(ha[j].score, hb[j].score);
    }
  }
}

struct Kind {
  const char* name;
  bool hnsw;
  Metric metric;
  reco::HnswQuant quant;
  bool keep_float;
};

class Persistence : public ::testing::TestWithParam<Kind> {};

TEST_P(Persistence, RoundTripAnswersIdentically) {
  const Kind k = GetParam();
  reco::HnswParams p;
  p.quant = k.quant;
  p.keep_float = k.keep_float;
  auto ix = make(k.hnsw, k.metric, 16, 3000, p);
  reco::BufferSink sink;
  ix->save(sink);
  reco::BufferSource src(sink.bytes());
  auto back = reco::load_vector_index(src, 16, k.metric);
  EXPECT_EQ(back->kind(), ix->kind());
  expect_same_answers(*ix, *back, 16);
  for (std::uint32_t id = 0; id < 3000; ++id) {
    ASSERT_EQ(ix->contains(id), back->contains(id)) << id;
    std::vector<float> a(16), b(16);
    ASSERT_EQ(ix->read(id, a), back->read(id, b));
    EXPECT_EQ(a, b);
  }
  // Saving the loaded index gives the same bytes: nothing was rebuilt or reordered.
  reco::BufferSink again;
  back->save(again);
  EXPECT_EQ(again.bytes(), sink.bytes());
  // The loaded index keeps working through changes.
  std::mt19937_64 rng(1);
  for (std::uint32_t id = 0; id < 300; ++id) back->set(id * 3, rnd(rng, 16));
  for (std::uint32_t id = 0; id < 300; ++id) back->remove(id * 5);
  EXPECT_FALSE(back->search(rnd(rng, 16), 5, {}).empty());
  // Wrong dimension or metric, or a typed load of the other kind, are refused.
  reco::BufferSource s2(sink.bytes());
  EXPECT_THROW(reco::load_vector_index(s2, 17, k.metric), reco::Error);
  reco::BufferSource s3(sink.bytes());
  if (k.hnsw)
    EXPECT_THROW(reco::FlatIndex::load(s3, 16, k.metric), reco::Error);
  else
    EXPECT_THROW(reco::HnswIndex::load(s3, 16, k.metric), reco::Error);
}

// Loads whatever `bytes` hold; if that succeeds, the result must be usable.
void load_and_use(const std::string& bytes, std::size_t dim, Metric m) {
  reco::BufferSource src(bytes);
  std::unique_ptr<reco::VectorIndex> ix;
  try {
    ix = reco::load_vector_index(src, dim, m);
  } catch (const reco::Error&) {
    return;
  }
  std::vector<float> q(dim, 0.5f);
  reco::ItemFilter f;
  f.exclude(std::vector<std::uint32_t>{0, 1});
  (void)ix->search(q, 5, {});
  (void)ix->search(q, 5, f);
  std::vector<float> v(dim);
  for (std::uint32_t id = 0; id < 70; ++id) (void)ix->read(id, v);
  ix->set(2, q);
  ix->remove(3);
  ix->remove(2);
  (void)ix->search(q, 5, {});
}

TEST_P(Persistence, TruncatedAndCorruptPayloadsAreRefused) {
  const Kind k = GetParam();
  reco::HnswParams p;
  p.m = 4;
  p.quant = k.quant;
  p.keep_float = k.keep_float;
  auto ix = make(k.hnsw, k.metric, 4, 60, p);
  reco::BufferSink sink;
  ix->save(sink);
  const std::string& full = sink.bytes();
  for (std::size_t len = 0; len < full.size(); ++len) {
    reco::BufferSource src(std::string_view(full).substr(0, len));
    EXPECT_THROW(reco::load_vector_index(src, 4, k.metric), reco::Error) << "length " << len;
  }
  std::mt19937_64 rng(17);
  for (int trial = 0; trial < 2000; ++trial) {
    std::string bad = full;
    const int flips = 1 + int(rng() % 3);
    for (int f = 0; f < flips; ++f) {
      std::size_t at = rng() % bad.size();
      bad[at] = static_cast<char>(trial % 2 ? rng() : bad[at] ^ (1 << (rng() % 8)));
    }
    load_and_use(bad, 4, k.metric);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Kinds, Persistence,
    ::testing::Values(Kind{"FlatIP", false, Metric::InnerProduct, reco::HnswQuant::None, false},
                      Kind{"HnswIP", true, Metric::InnerProduct, reco::HnswQuant::None, false},
                      Kind{"HnswCosine", true, Metric::Cosine, reco::HnswQuant::None, false},
                      Kind{"HnswL2", true, Metric::L2, reco::HnswQuant::None, false},
                      Kind{"HnswInt8L2", true, Metric::L2, reco::HnswQuant::Int8, false},
                      Kind{"HnswInt8FloatIP", true, Metric::InnerProduct, reco::HnswQuant::Int8, true}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(VectorIndexLoad, UnknownKindIsRefused) {
  reco::BufferSink sink;
  sink.put_u64(77);
  reco::BufferSource src(sink.bytes());
  EXPECT_THROW(reco::load_vector_index(src, 4, Metric::L2), reco::Error);
}

}  // namespace

namespace {

std::string saved(const reco::VectorIndex& ix) {
  reco::BufferSink sink;
  ix.save(sink);
  return sink.bytes();
}

}  // namespace

// The sweep runs in parts, one per delete: it starts once tombstones reach their share,
// ends within half as many deletes as it has tombstones, leaves no link to a freed slot (load refuses a
// dangling link), and an index saved in the middle of a sweep continues exactly as the one
// that was not saved (same bytes after the same writes): a replica or a reload goes on
// where the sweep stood.
TEST(HnswSweep, RunsInPartsAndContinuesAcrossSaveAndLoad) {
  constexpr std::size_t kDim = 8, kN = 3000;
  std::mt19937_64 rng(21);
  reco::HnswIndex a(kDim, Metric::L2);
  for (std::uint32_t id = 0; id < kN; ++id) a.set(id, rnd(rng, kDim));
  std::vector<std::uint32_t> order(kN);
  for (std::uint32_t i = 0; i < kN; ++i) order[i] = i;
  std::shuffle(order.begin(), order.end(), rng);
  std::size_t next = 0, started = 0, run = 0, saved_at = 0, swept = 0;
  std::unique_ptr<reco::VectorIndex> b;
  std::size_t lockstep = 0;
  while (next < 1200) {
    const bool was = a.sweeping();
    if (b && lockstep < 20) {
      // Right after the save, both in step: equal bytes after every delete, mid-sweep too.
      a.remove(order[next]);
      b->remove(order[next]);
      ++next;
      ++saved_at;
      ++lockstep;
      EXPECT_EQ(saved(a), saved(*b)) << "after delete " << lockstep << " since the save";
    } else {
      a.remove(order[next++]);
    }
    if (!was && a.sweeping()) {
      ++started;
      swept = a.tombstones();  // all of them: the sweep takes every tombstone of its start
    }
    if (was && !a.sweeping()) {
      // One part per delete, as many parts as half the tombstones (at least 16).
      EXPECT_LE(run, std::max<std::size_t>(16, swept / 2) + 1) << "sweep " << started << " of " << swept;
      EXPECT_GE(run, 16u);
    }
    run = a.sweeping() ? run + 1 : 0;
    if (!b && a.sweeping() && run == 5) {
      const std::string bytes = saved(a);
      reco::BufferSource src(bytes);
      b = reco::load_vector_index(src, kDim, Metric::L2);
      saved_at = next;
    }
  }
  EXPECT_GE(started, 3u);
  ASSERT_TRUE(b) << "no sweep was caught in the middle";
  // b replays what a did after the save (its sweep goes on from the saved cursor).
  for (std::size_t i = saved_at; i < next; ++i) b->remove(order[i]);
  EXPECT_EQ(saved(a), saved(*b));
  // Then the same further writes on both: deletes, re-adds of deleted ids, new ids.
  std::mt19937_64 r2(5);
  for (int i = 0; i < 300; ++i) {
    const std::uint32_t id = order[next + static_cast<std::size_t>(i)];
    a.remove(id);
    b->remove(id);
    const auto v = rnd(r2, kDim);
    const std::uint32_t back = order[static_cast<std::size_t>(i) * 3];
    a.set(back, v);
    b->set(back, v);
  }
  EXPECT_EQ(saved(a), saved(*b));
  // Everything swept is gone for good: finishing the sweep and reloading finds no dangling link.
  a.sweep();
  EXPECT_FALSE(a.sweeping());
  EXPECT_EQ(a.tombstones(), 0u);
  const std::string bytes = saved(a);
  reco::BufferSource src(bytes);
  EXPECT_NO_THROW(reco::load_vector_index(src, kDim, Metric::L2));
}

// Updates remove and revive their node without a sweep; the list of tombstones waiting for
// the next sweep must not grow with them (a catalog whose vectors are re-sent forever).
TEST(HnswSweep, UpdatesDoNotPileUpTombstoneEntries) {
  constexpr std::size_t kDim = 4, kN = 500;
  std::mt19937_64 rng(8);
  reco::HnswIndex ix(kDim, Metric::L2);
  for (std::uint32_t id = 0; id < kN; ++id) ix.set(id, rnd(rng, kDim));
  const std::size_t before = ix.memory_bytes();
  for (int round = 0; round < 40; ++round)
    for (std::uint32_t id = 0; id < kN; ++id) ix.set(id, rnd(rng, kDim));  // 20,000 updates
  EXPECT_EQ(ix.tombstones(), 0u);
  EXPECT_LT(ix.memory_bytes(), before + 64 * 1024) << "before " << before;
}
