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

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpsabi"

namespace reco::hnsw {

typedef signed char I8v __attribute__((vector_size(kLanes)));

// Four codes as floats. SSE2 has no sign extension from bytes (that is SSE4.1), and GCC
// turns the portable conversion into four scalar int-to-float conversions, which made the
// int8 kernels 3-4x slower than the float ones at 64 dims (bench/kernel_bench); on SSE2
// each byte is moved to the top of its 32-bit lane and shifted back down with its sign,
// the same integers, so the same floats.
inline FV loadq(const std::int8_t* p) noexcept {
#if defined(__SSE2__)
  int w;
  std::memcpy(&w, p, sizeof w);
  __m128i x = _mm_cvtsi32_si128(w);
  x = _mm_unpacklo_epi8(x, x);
  x = _mm_unpacklo_epi16(x, x);
  const __m128 f = _mm_cvtepi32_ps(_mm_srai_epi32(x, 24));
  FV v;
  std::memcpy(&v, &f, sizeof v);
  return v;
#else
  I8v v;
  std::memcpy(&v, p, sizeof v);
  return __builtin_convertvector(v, FV);
#endif
}

inline FV splat(float x) noexcept { return FV{} + x; }

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
  return reduce(
      n, [=](std::size_t i) { return loadv(q + i) * loadq(c + i); },
      [=](std::size_t i) { return q[i] * c[i]; });
}

// sum (q_i - scale * c_i)^2
inline float l2sq_q(const float* q, const std::int8_t* c, float scale, std::size_t n) noexcept {
  const FV sc = splat(scale);
  return reduce(
      n,
      [=](std::size_t i) {
        const FV d = loadv(q + i) - sc * loadq(c + i);
        return d * d;
      },
      [=](std::size_t i) {
        const float d = q[i] - scale * c[i];
        return d * d;
      });
}

// sum a_i * b_i over codes (multiply by both scales)
inline float dot_qq(const std::int8_t* a, const std::int8_t* b, std::size_t n) noexcept {
  return reduce(
      n, [=](std::size_t i) { return loadq(a + i) * loadq(b + i); },
      [=](std::size_t i) { return float(a[i]) * float(b[i]); });
}

// sum (sa * a_i - sb * b_i)^2
inline float l2sq_qq(const std::int8_t* a, float sa, const std::int8_t* b, float sb,
                     std::size_t n) noexcept {
  const FV va = splat(sa), vb = splat(sb);
  return reduce(
      n,
      [=](std::size_t i) {
        const FV d = va * loadq(a + i) - vb * loadq(b + i);
        return d * d;
      },
      [=](std::size_t i) {
        const float d = sa * a[i] - sb * b[i];
        return d * d;
      });
}

}  // namespace reco::hnsw

#pragma GCC diagnostic pop
