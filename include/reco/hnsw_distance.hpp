// Distance kernels of the graph index: float dot product and squared L2.
//
// A graph walk spends most of its time here, so the loops are written with GCC/Clang
// vector types at the target's native width (4 floats on the default x86-64 target, 8
// when the operator builds with AVX, e.g. -march=native) and four independent
// accumulators, so additions overlap instead of waiting on one another. The width must be
// native: a 32-byte type on an SSE-only target is split by the compiler and its
// accumulators spill to the stack on every step (seen in the walk's profile: each step
// stored and reloaded its sums). No intrinsics, no per-target code path. Plain loops
// would not vectorise: a float reduction may not be reordered without -ffast-math, and the
// project builds at -O2.
#pragma once

#include <cstddef>
#include <cstring>

// The helpers below pass vectors by value; they are inline, so no call crosses an ABI
// boundary and GCC's note about AVX argument passing does not apply.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpsabi"

namespace reco::hnsw {

#if defined(__AVX__)
constexpr std::size_t kLanes = 8;
#else
constexpr std::size_t kLanes = 4;
#endif
typedef float FV __attribute__((vector_size(kLanes * sizeof(float))));

inline FV loadv(const float* p) noexcept {
  FV v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

inline float hsumv(const FV& v) noexcept {
  float s = 0;
  for (std::size_t i = 0; i < kLanes; ++i) s += v[i];
  return s;
}

// The loop every kernel shares: sum over i < n of a per-element term, four lanes-wide
// accumulators at a time, then the remaining whole vectors, then a scalar tail.
// `block(i)` returns the terms of elements [i, i + kLanes) as a vector, `one(i)` element
// i's term.
template <class Block, class One>
inline float reduce(std::size_t n, const Block& block, const One& one) noexcept {
  FV s0 = {}, s1 = {}, s2 = {}, s3 = {};
  std::size_t i = 0;
  for (; i + 4 * kLanes <= n; i += 4 * kLanes) {
    s0 += block(i);
    s1 += block(i + kLanes);
    s2 += block(i + 2 * kLanes);
    s3 += block(i + 3 * kLanes);
  }
  for (; i + kLanes <= n; i += kLanes) s0 += block(i);
  float s = hsumv((s0 + s1) + (s2 + s3));
  for (; i < n; ++i) s += one(i);
  return s;
}

inline float dot(const float* a, const float* b, std::size_t n) noexcept {
  return reduce(
      n, [=](std::size_t i) { return loadv(a + i) * loadv(b + i); },
      [=](std::size_t i) { return a[i] * b[i]; });
}

inline float l2sq(const float* a, const float* b, std::size_t n) noexcept {
  return reduce(
      n,
      [=](std::size_t i) {
        const FV d = loadv(a + i) - loadv(b + i);
        return d * d;
      },
      [=](std::size_t i) {
        const float d = a[i] - b[i];
        return d * d;
      });
}

}  // namespace reco::hnsw

#pragma GCC diagnostic pop
