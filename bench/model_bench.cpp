// Ranking throughput on one core: candidates scored per second by the precomputed batch
// path (Model::score over an item table) against the direct evaluation (score_full), next
// to the speed of merely reading the same item rows, sequentially (the memory bandwidth
// limit) and gathered at the candidates' random positions (the memory latency limit).
//
// The model is MovieLens-1M-shaped (user id 6040, item id 3706, gender, age, occupation,
// genres multi over 18, year, popularity, a user click rate, the request hour), with
// embedding size 16, FM only and with an MLP [64, 32]; 100,000 items; requests of 500
// random candidates. A plain loop prints one table, so the numbers sit side by side.
// Rates are per second of this thread's CPU time, so that other processes sharing the
// machine do not count against it (cache contention from them still does).
//
// Usage: model_bench [seconds per measurement, default 1]
#include <ctime>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "model_fixture.hpp"
#include "reco/model.hpp"
#include "reco/model_items.hpp"

namespace {

using namespace reco_model_test;

constexpr std::uint32_t kItems = 100000;
constexpr std::size_t kBatch = 500;
constexpr std::size_t kUsers = 1000;

double cpu_seconds() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return double(ts.tv_sec) + double(ts.tv_nsec) * 1e-9;
}

// Runs fn(iteration) until `budget` CPU seconds have passed; returns iterations per CPU second.
template <class Fn>
double rate(double budget, Fn&& fn) {
  fn(0);  // warm up
  std::size_t n = 0;
  const double t0 = cpu_seconds();
  double elapsed = 0;
  do {
    for (int k = 0; k < 8; ++k) fn(n++);
    elapsed = cpu_seconds() - t0;
  } while (elapsed < budget);
  return double(n) / elapsed;
}

typedef float v4f __attribute__((vector_size(16)));

// Sum of `rows` consecutive rows starting at row `first` (wrapping): a streaming read.
float read_sequential(const float* table, std::size_t stride, std::size_t bound, std::size_t first,
                      std::size_t rows) {
  v4f a0 = {0, 0, 0, 0}, a1 = a0;
  std::size_t r = first % bound;
  for (std::size_t k = 0; k < rows; ++k) {
    const float* p = table + r * stride;
    for (std::size_t j = 0; j + 8 <= stride; j += 8) {
      v4f x, y;
      std::memcpy(&x, p + j, 16);
      std::memcpy(&y, p + j + 4, 16);
      a0 += x;
      a1 += y;
    }
    if (stride % 8) {
      v4f x;
      std::memcpy(&x, p + stride - 4, 16);
      a0 += x;
    }
    if (++r == bound) r = 0;
  }
  v4f a = a0 + a1;
  return a[0] + a[1] + a[2] + a[3];
}

// Sum of the candidates' rows, gathered by dense id: the same reads the scorer makes.
float read_gathered(const float* table, std::size_t stride, const std::uint32_t* ids, std::size_t n) {
  v4f a0 = {0, 0, 0, 0}, a1 = a0;
  for (std::size_t k = 0; k < n; ++k) {
    const float* p = table + std::size_t(ids[k]) * stride;
    for (std::size_t j = 0; j + 8 <= stride; j += 8) {
      v4f x, y;
      std::memcpy(&x, p + j, 16);
      std::memcpy(&y, p + j + 4, 16);
      a0 += x;
      a1 += y;
    }
    if (stride % 8) {
      v4f x;
      std::memcpy(&x, p + stride - 4, 16);
      a0 += x;
    }
  }
  v4f a = a0 + a1;
  return a[0] + a[1] + a[2] + a[3];
}

void run(const char* label, const ModelSpec& spec, double budget) {
  auto model = reco::Model::parse(model_file(spec, 2024));
  std::mt19937_64 rng(7);
  ItemList items;
  items.items.reserve(kItems);
  for (std::uint32_t i = 0; i < kItems; ++i) items.add(movielens_item(rng, i));

  reco::ItemTable table(model);
  const double t0 = cpu_seconds();
  table.build(items);
  const double build_s = cpu_seconds() - t0;

  std::vector<reco::UserProfile> users;
  std::vector<std::string> keys;
  for (std::size_t u = 0; u < kUsers; ++u) {
    users.push_back(movielens_user(rng));
    keys.push_back(std::to_string(1 + rng() % 6040));
  }
  std::vector<std::string> hours;
  for (int h = 0; h < 24; ++h) hours.push_back(std::to_string(h));
  const std::size_t kRequests = 4096;
  std::vector<std::uint32_t> cand(kRequests * kBatch);
  for (auto& c : cand) c = static_cast<std::uint32_t>(rng() % kItems);
  std::vector<float> out(kBatch);

  volatile float sink = 0;
  // Precomputed: prepare the user side once per request, then one batch call.
  const double req_fast = rate(budget, [&](std::size_t r) {
    const std::size_t u = r % kUsers;
    std::pair<std::string_view, std::string_view> ctx[] = {{"hour", hours[r % 24]}};
    auto us = model->prepare_user(keys[u], &users[u], ctx);
    table.score(us, {cand.data() + (r % kRequests) * kBatch, kBatch}, out);
    sink = sink + out[r % kBatch];
  });
  // The per-request half alone.
  const double req_user = rate(budget, [&](std::size_t r) {
    const std::size_t u = r % kUsers;
    std::pair<std::string_view, std::string_view> ctx[] = {{"hour", hours[r % 24]}};
    auto us = model->prepare_user(keys[u], &users[u], ctx);
    sink = sink + us.c;
  });
  // Batch only, user side prepared once (the per-candidate cost alone).
  auto us0 = model->prepare_user(keys[0], &users[0], {});
  const double req_batch = rate(budget, [&](std::size_t r) {
    table.score(us0, {cand.data() + (r % kRequests) * kBatch, kBatch}, out);
    sink = sink + out[r % kBatch];
  });
  // Direct evaluation of every candidate.
  const double cand_full = rate(budget, [&](std::size_t r) {
    const std::size_t u = (r / kBatch) % kUsers;
    std::pair<std::string_view, std::string_view> ctx[] = {{"hour", hours[r % 24]}};
    const reco::Item& it = items.items[cand[r % cand.size()]];
    sink = sink + model->score_full(keys[u], &users[u], ctx, reco::view(it.id), it);
  });
  const std::size_t stride = model->item_width();
  const double req_seq = rate(budget, [&](std::size_t r) {
    sink = sink + read_sequential(table.rows(), stride, kItems, r * kBatch, kBatch);
  });
  const double req_gather = rate(budget, [&](std::size_t r) {
    sink = sink + read_gathered(table.rows(), stride, cand.data() + (r % kRequests) * kBatch, kBatch);
  });

  const double fast = req_fast * kBatch, batch = req_batch * kBatch, seq = req_seq * kBatch,
               gather = req_gather * kBatch;
  std::printf("\n%s: item row %zu floats (%zu bytes), table %.1f MB, built in %.2f s (%.0f items/s)\n", label,
              stride, stride * 4, double(table.memory_bytes()) / 1e6, build_s, kItems / build_s);
  std::printf("  %-44s %14s %12s\n", "path", "candidates/s", "vs full");
  auto line = [&](const char* what, double v) { std::printf("  %-44s %14.3e %11.1fx\n", what, v, v / cand_full); };
  line("score_full (direct, per candidate)", cand_full);
  line("precomputed: prepare_user + score(500)", fast);
  line("precomputed: score(500) only", batch);
  line("read rows, gathered (latency limit)", gather);
  line("read rows, sequential (bandwidth limit)", seq);
  std::printf("  prepare_user: %.2f us per request\n", 1e6 / req_user);
  std::printf("  precomputed / sequential read = %.2f, precomputed / gathered read = %.2f\n", fast / seq,
              fast / gather);
  if (sink == 12345.678f) std::printf("!");
}

}  // namespace

int main(int argc, char** argv) {
  const double budget = argc > 1 ? std::atof(argv[1]) : 1.0;
  std::printf("model_bench: %u items, %zu candidates per request, one core, %.1f s per measurement\n", kItems,
              kBatch, budget);
  run("FM, dim 16", movielens_spec(16, false), budget);
  run("FM + MLP [64,32], dim 16", movielens_spec(16, true, {64, 32}), budget);
  return 0;
}
