// The serving concurrency model under ThreadSanitizer: queries on a WorkerPool read a
// SharedCatalog under its shared lock while this thread (playing Redis's main thread)
// writes items, the blend, index settings and models under the exclusive lock, and
// refreshes derived structures as the dispatcher does. Built with -fsanitize=thread
// (ctest label `tsan`): any query that writes shared state, or any write not covered by
// the lock, is reported as a race and fails the test. Also checked: every answer holds
// only items live at the time it was computed, and the pool runs every job it took.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "../unit/model_fixture.hpp"
#include "reco/catalog.hpp"
#include "reco/model_set.hpp"
#include "reco/model_items.hpp"
#include "reco/recommender.hpp"
#include "reco/serving/shared_catalog.hpp"
#include "reco/serving/worker_pool.hpp"

namespace {

using namespace reco;
constexpr std::size_t kDim = 16;

std::vector<float> random_vector(std::mt19937_64& rng) {
  std::normal_distribution<float> d(0.0f, 1.0f);
  std::vector<float> v(kDim);
  for (float& x : v) x = d(rng);
  return v;
}

std::string genre(std::mt19937_64& rng) {
  const auto& g = reco_model_test::genre_names();
  return g[rng() % g.size()];
}

ItemUpdate random_item(std::mt19937_64& rng) {
  ItemUpdate u;
  u.vector = random_vector(rng);
  u.popularity = double(rng() % 100);
  u.time = std::int64_t(rng() % 1000);
  u.terms = std::vector<std::string>{genre(rng)};
  u.features = std::vector<std::pair<std::string, std::string>>{{"year", std::to_string(1950 + rng() % 60)}};
  return u;
}

UserProfile random_user(std::mt19937_64& rng) {
  UserProfile u = reco_model_test::movielens_user(rng);
  std::vector<float> v = random_vector(rng);
  u.vector.assign(v.begin(), v.end());
  u.terms.push_back({to_string(genre(rng)), 2.0f});
  std::vector<std::uint64_t> seen;
  for (int i = 0; i < 30; ++i) seen.push_back(rng());
  u.seen.assign(seen);
  return u;
}

struct Counters {
  std::atomic<long> answers{0}, requeued{0}, errors{0}, dead_returned{0};
};

// One query as a worker runs it: shared lock, stale structures sent back, answers checked
// under the same lock.
void query(const SharedCatalog& shared, const UserProfile& user, std::uint64_t seed, Counters& n) {
  std::mt19937_64 rng(seed);
  const SharedCatalog::Read c = shared.read();
  if (!c->derived_current()) {
    ++n.requeued;
    return;
  }
  try {
    std::vector<std::uint32_t> ids;
    switch (rng() % 4) {
      case 0: {
        RecommendRequest req;
        req.k = 20;
        req.use_blend(c->blend());
        req.model = c->models().choose("user:1");
        req.user_key = "user:1";
        for (const Recommendation& r : recommend(*c, &user, req).items) ids.push_back(r.id);
        break;
      }
      case 1: {
        RecommendRequest req;
        req.k = 10;
        req.use_blend(c->blend());
        req.only_terms = std::vector<std::string>{genre(rng)};
        if (auto d = c->find("i" + std::to_string(rng() % 3000))) req.session = {*d};
        for (const Recommendation& r : recommend(*c, nullptr, req).items) ids.push_back(r.id);
        break;
      }
      case 2:
        if (auto d = c->find("i" + std::to_string(rng() % 3000)))
          for (const Hit& h : similar(*c, *d, 10, ItemFilter())) ids.push_back(h.id);
        break;
      default:
        for (const Hit& h : nearest(*c, random_vector(rng), 10, ItemFilter(), 40)) ids.push_back(h.id);
    }
    for (std::uint32_t id : ids)
      if (!c->live(id)) ++n.dead_returned;
    ++n.answers;
  } catch (const std::exception&) {
    ++n.errors;
  }
}

// Shrinks the pool to nothing and waits until it has run `jobs` jobs in all.
void finish(WorkerPool& pool, std::uint64_t jobs) {
  pool.resize(0);
  while (pool.stats().completed < jobs) std::this_thread::yield();
}

TEST(ServingConcurrency, QueriesReadWhileTheWriterWrites) {
  std::mt19937_64 rng(7);
  auto catalog = std::make_unique<Catalog>("c", kDim, Metric::InnerProduct, IndexConfig{IndexKind::Hnsw});
  catalog->set_refresh_on_write(false);
  for (int i = 0; i < 3000; ++i) catalog->upsert("i" + std::to_string(i), random_item(rng));
  catalog->refresh_derived();
  SharedCatalog shared(std::move(catalog));
  const UserProfile user = random_user(rng);
  const std::string model_a = reco_model_test::model_file(reco_model_test::small_spec(), 1);
  const std::string model_b = reco_model_test::model_file(reco_model_test::small_spec(), 2);

  Counters n;
  WorkerPool pool(4);
  std::atomic<long> submitted{0};
  // At least 3 s and 150 answers (a slow machine under TSAN needs longer for them); 60 s
  // without them would mean queries starve behind the writer.
  const auto start = std::chrono::steady_clock::now();
  auto more = [&] {
    const auto t = std::chrono::steady_clock::now() - start;
    return t < std::chrono::seconds(3) || (n.answers.load() < 150 && t < std::chrono::seconds(60));
  };
  int next = 3000;
  for (int step = 0; more(); ++step) {
    // Keep the queue fed, as clients would.
    while (pool.stats().queued < 16) {
      const std::uint64_t seed = rng();
      pool.submit([&, seed] { query(shared, user, seed, n); });
      ++submitted;
    }
    {
      SharedCatalog::Write w = shared.write();
      switch (step % 8) {
        case 0: w->upsert("i" + std::to_string(next++), random_item(rng)); break;
        case 1: w->erase("i" + std::to_string(rng() % next)); break;
        case 2: {
          ItemUpdate u;
          u.popularity = double(rng() % 100);
          u.terms = std::vector<std::string>{genre(rng), "extra"};
          w->upsert("i" + std::to_string(rng() % next), u);
          break;
        }
        case 3: {
          BlendConfig b = w->blend();
          b.popularity = double(rng() % 3) / 10.0;
          w->set_blend(b);
          w->set_query_settings(std::uint32_t(16 + rng() % 64), 0);
          break;
        }
        case 4:
          if (w->models().find("a")) {
            w->models().remove("a", true);
          } else {
            w->models().put("a", model_a, CatalogItems(*w));
            w->models().activate("a");
          }
          break;
        case 5:
          if (!w->models().find("b")) w->models().put("b", model_b, CatalogItems(*w));
          if (w->models().find("a")) w->models().split("a", "b", 50);
          break;
        default: {
          ItemUpdate u;
          u.vector = random_vector(rng);
          w->upsert("i" + std::to_string(rng() % next), u);
        }
      }
    }
    if (step % 4 == 0) shared.refresh_for_queries();
  }
  finish(pool, static_cast<std::uint64_t>(submitted.load()));

  EXPECT_EQ(n.answers + n.requeued + n.errors, submitted.load());
  EXPECT_GT(n.answers.load(), 100);
  EXPECT_EQ(n.errors.load(), 0);
  EXPECT_EQ(n.dead_returned.load(), 0);
}

// The hand-over of serving/write_dispatch: a worker takes the exclusive side for the main
// thread while queries run, the main thread adopts it, writes and releases it; meanwhile
// the main thread also writes inline (re-entrant while a hand-over holds the lock).
TEST(ServingConcurrency, WritesHandedOverToTheMainThread) {
  std::mt19937_64 rng(11);
  auto catalog = std::make_unique<Catalog>("c", kDim, Metric::InnerProduct, IndexConfig{IndexKind::Flat});
  catalog->set_refresh_on_write(false);
  for (int i = 0; i < 2000; ++i) catalog->upsert("i" + std::to_string(i), random_item(rng));
  catalog->refresh_derived();
  SharedCatalog shared(std::move(catalog));
  const UserProfile user = random_user(rng);
  Counters n;
  WorkerPool pool(3);
  std::atomic<int> granted{0};
  int applied = 0;
  for (int step = 0; step < 400; ++step) {
    shared.refresh_for_queries();  // as the dispatcher does before it queues queries
    for (int q = 0; q < 4; ++q) {
      const std::uint64_t seed = rng();
      shared.query_queued();
      pool.submit([&, seed] {
        query(shared, user, seed, n);
        shared.query_done();
      });
    }
    pool.submit([&] {
      shared.acquire_for_main();
      granted.fetch_add(1, std::memory_order_release);
    });
    if (step % 3 == 0) {  // an inline write while the hand-over may hold the lock
      SharedCatalog::Write w = shared.write();
      ItemUpdate u;
      u.popularity = double(rng() % 100);
      w->upsert("i" + std::to_string(rng() % 2000), u);
    }
    while (granted.load(std::memory_order_acquire) == applied) std::this_thread::yield();
    {
      SharedCatalog::Write w = shared.adopt_write();
      w->upsert("i" + std::to_string(2000 + step), random_item(rng));
      w->erase("i" + std::to_string(rng() % 2000));
    }
    ++applied;
  }
  finish(pool, 400 * 5);
  EXPECT_EQ(granted.load(), 400);
  EXPECT_FALSE(shared.queries_in_flight());
  EXPECT_EQ(n.errors.load(), 0);
  EXPECT_EQ(n.dead_returned.load(), 0);
  EXPECT_EQ(n.requeued.load(), 0);  // writes made while queries run keep the order current
  EXPECT_GT(n.answers.load(), 100);
}

// Planned graph inserts (serve_planned_write): workers plan inserts under the shared lock
// alongside queries and other plans, then take the exclusive side for the main thread,
// which applies each plan (or, when a write since made it stale, links the item itself);
// meanwhile it also deletes items inline. Checked besides the races: the graph equals one
// built by plain upserts of the same writes in the same order.
TEST(ServingConcurrency, GraphInsertsPlannedOnWorkers) {
  std::mt19937_64 rng(21);
  auto make = [] {
    auto c = std::make_unique<Catalog>("c", kDim, Metric::InnerProduct, IndexConfig{IndexKind::Hnsw});
    c->set_refresh_on_write(false);
    return c;
  };
  auto catalog = make();
  auto plain = make();
  std::vector<ItemUpdate> first;
  for (int i = 0; i < 500; ++i) first.push_back(random_item(rng));
  for (int i = 0; i < 500; ++i) {
    catalog->upsert("i" + std::to_string(i), first[i]);
    plain->upsert("i" + std::to_string(i), first[i]);
  }
  catalog->refresh_derived();
  SharedCatalog shared(std::move(catalog));
  const UserProfile user = random_user(rng);
  Counters n;
  WorkerPool pool(3);
  struct Pending {
    std::string id;
    ItemUpdate update;
    std::unique_ptr<VectorInsertPlan> plan;
    std::atomic<bool> granted{false};
  };
  int next = 500;
  std::uint64_t jobs = 0;
  for (int step = 0; step < 150; ++step) {
    shared.refresh_for_queries();
    for (int q = 0; q < 2; ++q) {
      const std::uint64_t seed = rng();
      shared.query_queued();
      pool.submit([&, seed] {
        query(shared, user, seed, n);
        shared.query_done();
      });
      ++jobs;
    }
    // Two loaders' inserts planned at once, applied in the order their grants came.
    std::vector<std::unique_ptr<Pending>> batch;
    for (int k = 0; k < 2; ++k) {
      auto p = std::make_unique<Pending>();
      p->id = "i" + std::to_string(next++);
      p->update = random_item(rng);
      Pending* raw = p.get();
      shared.plan_started();
      pool.submit([&shared, raw] {
        {
          SharedCatalog::Read r = shared.read();
          raw->plan = r->plan_upsert(raw->id, raw->update);
        }
        shared.plan_done();
        shared.acquire_for_main();
        raw->granted.store(true, std::memory_order_release);
      });
      ++jobs;
      batch.push_back(std::move(p));
    }
    // As the main thread does: whichever grant is there (waiting for one in particular
    // could wait for a plan that waits for the other's hold to be released).
    for (std::size_t done = 0; done < batch.size();) {
      for (auto& p : batch) {
        if (!p || !p->granted.load(std::memory_order_acquire)) continue;
        {
          SharedCatalog::Write w = shared.adopt_write();
          w->upsert(p->id, p->update, p->plan.get());
        }
        plain->upsert(p->id, p->update);
        p.reset();
        ++done;
      }
      std::this_thread::yield();
    }
    if (step % 5 == 4) {  // an inline delete: plans in flight become stale
      const std::string victim = "i" + std::to_string(rng() % next);
      SharedCatalog::Write w = shared.write();
      w->erase(victim);
      plain->erase(victim);
    }
  }
  finish(pool, jobs);
  EXPECT_FALSE(shared.readers_in_flight());
  EXPECT_EQ(n.errors.load(), 0);
  EXPECT_EQ(n.dead_returned.load(), 0);
  const IndexCounters ic = shared.unlocked().vectors().counters();
  EXPECT_GT(ic.inserts_planned, 0u);
  // Same vectors and links: every query answers identically.
  std::mt19937_64 qrng(5);
  for (int q = 0; q < 50; ++q) {
    const std::vector<float> v = random_vector(qrng);
    const auto a = shared.unlocked().search(v, 20, {});
    const auto b = plain->search(v, 20, {});
    ASSERT_EQ(a.size(), b.size());
    for (std::size_t i = 0; i < a.size(); ++i) {
      EXPECT_EQ(a[i].id, b[i].id);
      EXPECT_EQ(a[i].score, b[i].score);
    }
  }
}

TEST(ServingConcurrency, PoolResizesUnderLoad) {
  WorkerPool pool(2);
  std::atomic<long> ran{0};
  long submitted = 0;
  for (int round = 0; round < 50; ++round) {
    for (int i = 0; i < 20; ++i) submitted += pool.submit([&] { ++ran; });
    pool.resize(static_cast<std::size_t>(round % 4));  // 0: the leaving workers drain the queue
  }
  pool.resize(0);
  EXPECT_FALSE(pool.submit([] {}));
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (pool.stats().completed < static_cast<std::uint64_t>(submitted) &&
         std::chrono::steady_clock::now() < deadline)
    std::this_thread::yield();
  EXPECT_EQ(ran.load(), submitted);
}

}  // namespace
