// Distance kernels of the graph index: float dot product and squared L2.
//
// A graph walk spends most of its time here, so the loops are written with GCC/Clang
// vector types (8 floats, two accumulators): the compiler emits SSE pairs on the default
// x86-64 target and single AVX instructions when the operator builds with -march=native,
// without intrinsics or a per-target code path. Plain loops would not vectorise: a float
// reduction may not be reordered without -ffast-math, and the project builds at -O2.
#pragma once

#include <cstddef>
#include <cstring>

// The helpers below pass 32-byte vectors by value; they are inline, so no call crosses
// an ABI boundary and GCC's note about AVX argument passing does not apply.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpsabi"

namespace reco::hnsw {

typedef float F8 __attribute__((vector_size(32)));

inline F8 load8(const float* p) noexcept {
  F8 v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

inline float hsum(const F8& v) noexcept {
  return ((v[0] + v[4]) + (v[1] + v[5])) + ((v[2] + v[6]) + (v[3] + v[7]));
}

inline float dot(const float* a, const float* b, std::size_t n) noexcept {
  F8 s0 = {}, s1 = {};
  std::size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    s0 += load8(a + i) * load8(b + i);
    s1 += load8(a + i + 8) * load8(b + i + 8);
  }
  if (i + 8 <= n) {
    s0 += load8(a + i) * load8(b + i);
    i += 8;
  }
  float s = hsum(s0 + s1);
  for (; i < n; ++i) s += a[i] * b[i];
  return s;
}

inline float l2sq(const float* a, const float* b, std::size_t n) noexcept {
  F8 s0 = {}, s1 = {};
  std::size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    F8 d0 = load8(a + i) - load8(b + i);
    F8 d1 = load8(a + i + 8) - load8(b + i + 8);
    s0 += d0 * d0;
    s1 += d1 * d1;
  }
  if (i + 8 <= n) {
    F8 d0 = load8(a + i) - load8(b + i);
    s0 += d0 * d0;
    i += 8;
  }
  float s = hsum(s0 + s1);
  for (; i < n; ++i) {
    float d = a[i] - b[i];
    s += d * d;
  }
  return s;
}

}  // namespace reco::hnsw

#pragma GCC diagnostic pop
