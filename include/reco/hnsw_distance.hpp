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

inline float dot(const float* a, const float* b, std::size_t n) noexcept {
  FV s0 = {}, s1 = {}, s2 = {}, s3 = {};
  std::size_t i = 0;
  for (; i + 4 * kLanes <= n; i += 4 * kLanes) {
    s0 += loadv(a + i) * loadv(b + i);
    s1 += loadv(a + i + kLanes) * loadv(b + i + kLanes);
    s2 += loadv(a + i + 2 * kLanes) * loadv(b + i + 2 * kLanes);
    s3 += loadv(a + i + 3 * kLanes) * loadv(b + i + 3 * kLanes);
  }
  for (; i + kLanes <= n; i += kLanes) s0 += loadv(a + i) * loadv(b + i);
  float s = hsumv((s0 + s1) + (s2 + s3));
  for (; i < n; ++i) s += a[i] * b[i];
  return s;
}

inline float l2sq(const float* a, const float* b, std::size_t n) noexcept {
  FV s0 = {}, s1 = {}, s2 = {}, s3 = {};
  std::size_t i = 0;
  for (; i + 4 * kLanes <= n; i += 4 * kLanes) {
    const FV d0 = loadv(a + i) - loadv(b + i);
    const FV d1 = loadv(a + i + kLanes) - loadv(b + i + kLanes);
    const FV d2 = loadv(a + i + 2 * kLanes) - loadv(b + i + 2 * kLanes);
    const FV d3 = loadv(a + i + 3 * kLanes) - loadv(b + i + 3 * kLanes);
    s0 += d0 * d0;
    s1 += d1 * d1;
    s2 += d2 * d2;
    s3 += d3 * d3;
  }
  for (; i + kLanes <= n; i += kLanes) {
    const FV d = loadv(a + i) - loadv(b + i);
    s0 += d * d;
  }
  float s = hsumv((s0 + s1) + (s2 + s3));
  for (; i < n; ++i) {
    const float d = a[i] - b[i];
    s += d * d;
  }
  return s;
}

}  // namespace reco::hnsw

#pragma GCC diagnostic pop
