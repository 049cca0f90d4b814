// Scalar int8 quantisation of the graph index's vectors, and its distance kernels.
//
// Each vector gets its own scale (max |x_i| / 127) and is stored as int8 codes, x ~ s*c.
// A per-vector scale needs no training pass and no global state: a vector's code depends
// on that vector only, so inserts, updates, deletes and replicas never re-quantise anything,
// and the cost is 4 bytes a vector. Distances are asymmetric while searching (float query
// against codes: only the stored side loses precision) and code-against-code while
// linking the graph.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "reco/hnsw_distance.hpp"

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpsabi"

namespace reco::hnsw {

typedef signed char I8x8 __attribute__((vector_size(8)));

inline F8 load8q(const std::int8_t* p) noexcept {
  I8x8 v;
  std::memcpy(&v, p, sizeof v);
  return __builtin_convertvector(v, F8);
}

// Writes n codes, returns the scale (0 for a zero vector).
inline float quantize(const float* x, std::size_t n, std::int8_t* codes) noexcept {
  float m = 0;
  for (std::size_t i = 0; i < n; ++i) m = std::fmax(m, std::fabs(x[i]));
  if (m == 0) {
    std::memset(codes, 0, n);
    return 0;
  }
  const float scale = m / 127.0f, inv = 127.0f / m;
  for (std::size_t i = 0; i < n; ++i) {
    float c = std::nearbyint(x[i] * inv);
    codes[i] = static_cast<std::int8_t>(std::fmax(-127.0f, std::fmin(127.0f, c)));
  }
  return scale;
}

inline void dequantize(const std::int8_t* codes, float scale, std::size_t n, float* out) noexcept {
  for (std::size_t i = 0; i < n; ++i) out[i] = scale * codes[i];
}

// sum q_i * c_i (multiply by the scale for the inner product)
inline float dot_q(const float* q, const std::int8_t* c, std::size_t n) noexcept {
  F8 s0 = {}, s1 = {};
  std::size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    s0 += load8(q + i) * load8q(c + i);
    s1 += load8(q + i + 8) * load8q(c + i + 8);
  }
  if (i + 8 <= n) {
    s0 += load8(q + i) * load8q(c + i);
    i += 8;
  }
  float s = hsum(s0 + s1);
  for (; i < n; ++i) s += q[i] * c[i];
  return s;
}

// sum (q_i - scale * c_i)^2
inline float l2sq_q(const float* q, const std::int8_t* c, float scale, std::size_t n) noexcept {
  F8 s0 = {}, s1 = {};
  const F8 sc = {scale, scale, scale, scale, scale, scale, scale, scale};
  std::size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    F8 d0 = load8(q + i) - sc * load8q(c + i);
    F8 d1 = load8(q + i + 8) - sc * load8q(c + i + 8);
    s0 += d0 * d0;
    s1 += d1 * d1;
  }
  if (i + 8 <= n) {
    F8 d0 = load8(q + i) - sc * load8q(c + i);
    s0 += d0 * d0;
    i += 8;
  }
  float s = hsum(s0 + s1);
  for (; i < n; ++i) {
    float d = q[i] - scale * c[i];
    s += d * d;
  }
  return s;
}

// sum a_i * b_i over codes (multiply by both scales)
inline float dot_qq(const std::int8_t* a, const std::int8_t* b, std::size_t n) noexcept {
  F8 s0 = {};
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) s0 += load8q(a + i) * load8q(b + i);
  float s = hsum(s0);
  for (; i < n; ++i) s += float(a[i]) * float(b[i]);
  return s;
}

// sum (sa * a_i - sb * b_i)^2
inline float l2sq_qq(const std::int8_t* a, float sa, const std::int8_t* b, float sb,
                     std::size_t n) noexcept {
  F8 s0 = {};
  const F8 va = {sa, sa, sa, sa, sa, sa, sa, sa}, vb = {sb, sb, sb, sb, sb, sb, sb, sb};
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    F8 d = va * load8q(a + i) - vb * load8q(b + i);
    s0 += d * d;
  }
  float s = hsum(s0);
  for (; i < n; ++i) {
    float d = sa * a[i] - sb * b[i];
    s += d * d;
  }
  return s;
}

}  // namespace reco::hnsw

#pragma GCC diagnostic pop
