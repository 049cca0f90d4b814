// Distance kernels of the graph index: float dot product and squared L2.
//
// A graph walk spends most of its time here, so the loops are written with GCC/Clang
// vector types, 4 floats wide, and four independent accumulators, so additions overlap
// instead of waiting on one another. No intrinsics: these are the kernels of every build
// (SSE on baseline x86-64, NEON on AArch64), and the ones a walk inlines when they are the
// active kernels (reco/kernels.hpp); on a CPU with AVX2 or AVX-512 the tables of
// module/engine/kernels/ run instead, in the same summation order (kernel_table.hpp), so
// every kernel returns the same bits. The width is fixed, not the target's native one: it
// defines that order (a 32-byte type on an SSE-only target would also be split by the
// compiler, its accumulators spilled to the stack on every step, as seen in the walk's
// profile). Plain loops would not vectorise: a float reduction may not be reordered
// without -ffast-math, and the project builds at -O2 (and with -ffp-contract=off, so that
// no build fuses a multiply into an add and rounds differently).
#pragma once

#include <cstddef>
#include <cstring>

// The helpers below pass vectors by value; they are inline, so no call crosses an ABI
// boundary and GCC's note about AVX argument passing does not apply.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpsabi"

namespace reco::hnsw {

constexpr std::size_t kLanes = 4;
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
