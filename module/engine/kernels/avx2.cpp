// AVX2 kernels (compiled with -mavx2, module/CMakeLists.txt; called only where the CPU has
// AVX2, see dispatch.cpp).
//
// The four 4-lane accumulators of the SSE kernels are the halves of two 8-lane registers,
// so the sums are the same sixteen partial sums, in the same order (reco/kernel_table.hpp),
// at half the instructions; the leftover groups of four and the reduction then run on the
// 128-bit halves exactly as the SSE kernel does. No FMA, on purpose: a fused multiply-add
// rounds once where the SSE kernel rounds twice, and the results would depend on the CPU.
// int8 x int8 products (graph construction under IP) are summed as integers: below 1025
// elements every partial float sum is an integer under 2^24 and so exact, which makes the
// integer sum the same float.
//
// Only kernel_table.hpp and the intrinsics header are included, and everything here has
// internal linkage: no inline function compiled for AVX2 may end up as the program's copy.
#include <immintrin.h>

#include "reco/kernel_table.hpp"
#include "dense_layer.hpp"

namespace reco::kernels {
namespace {

inline __m256 load8(const float* p) { return _mm256_loadu_ps(p); }
inline __m128 load4(const float* p) { return _mm_loadu_ps(p); }
inline __m256 load8(const std::int8_t* p) {
  return _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p))));
}
inline __m128 load4(const std::int8_t* p) {
  int w;
  __builtin_memcpy(&w, p, 4);
  return _mm_cvtepi32_ps(_mm_cvtepi8_epi32(_mm_cvtsi32_si128(w)));
}

// ((s0 + s1) + (s2 + s3)), then its lanes left to right from 0, as the SSE kernel's hsumv.
inline float hsum(__m128 s0, __m128 s1, __m128 s2, __m128 s3) {
  float l[4];
  _mm_storeu_ps(l, _mm_add_ps(_mm_add_ps(s0, s1), _mm_add_ps(s2, s3)));
  float s = 0;
  for (int j = 0; j < 4; ++j) s += l[j];
  return s;
}

// b8(i): the terms of elements [i, i + 8); b4(i): of [i, i + 4); one(i): of element i.
template <class B8, class B4, class One>
inline float reduce(std::size_t n, const B8& b8, const B4& b4, const One& one) {
  __m256 lo = _mm256_setzero_ps(), hi = _mm256_setzero_ps();  // s0 | s1, s2 | s3
  std::size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    lo = _mm256_add_ps(lo, b8(i));
    hi = _mm256_add_ps(hi, b8(i + 8));
  }
  __m128 s0 = _mm256_castps256_ps128(lo);
  const __m128 s1 = _mm256_extractf128_ps(lo, 1), s2 = _mm256_castps256_ps128(hi),
               s3 = _mm256_extractf128_ps(hi, 1);
  for (; i + 4 <= n; i += 4) s0 = _mm_add_ps(s0, b4(i));
  float s = hsum(s0, s1, s2, s3);
  for (; i < n; ++i) s += one(i);
  return s;
}

inline float dot_impl(const float* a, const float* b, std::size_t n) {
  return reduce(
      n, [=](std::size_t i) { return _mm256_mul_ps(load8(a + i), load8(b + i)); },
      [=](std::size_t i) { return _mm_mul_ps(load4(a + i), load4(b + i)); },
      [=](std::size_t i) { return a[i] * b[i]; });
}

float dot(const float* a, const float* b, std::size_t n) { return dot_impl(a, b, n); }

float l2sq(const float* a, const float* b, std::size_t n) {
  return reduce(
      n,
      [=](std::size_t i) {
        const __m256 d = _mm256_sub_ps(load8(a + i), load8(b + i));
        return _mm256_mul_ps(d, d);
      },
      [=](std::size_t i) {
        const __m128 d = _mm_sub_ps(load4(a + i), load4(b + i));
        return _mm_mul_ps(d, d);
      },
      [=](std::size_t i) {
        const float d = a[i] - b[i];
        return d * d;
      });
}

float dot_q(const float* q, const std::int8_t* c, std::size_t n) {
  return reduce(
      n, [=](std::size_t i) { return _mm256_mul_ps(load8(q + i), load8(c + i)); },
      [=](std::size_t i) { return _mm_mul_ps(load4(q + i), load4(c + i)); },
      [=](std::size_t i) { return q[i] * float(c[i]); });
}

float l2sq_q(const float* q, const std::int8_t* c, float scale, std::size_t n) {
  const __m256 s8 = _mm256_set1_ps(scale);
  const __m128 s4 = _mm_set1_ps(scale);
  return reduce(
      n,
      [=](std::size_t i) {
        const __m256 d = _mm256_sub_ps(load8(q + i), _mm256_mul_ps(s8, load8(c + i)));
        return _mm256_mul_ps(d, d);
      },
      [=](std::size_t i) {
        const __m128 d = _mm_sub_ps(load4(q + i), _mm_mul_ps(s4, load4(c + i)));
        return _mm_mul_ps(d, d);
      },
      [=](std::size_t i) {
        const float d = q[i] - scale * float(c[i]);
        return d * d;
      });
}

inline __m256i widen16(const std::int8_t* p) {
  return _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
}

float dot_qq(const std::int8_t* a, const std::int8_t* b, std::size_t n) {
  if (n > 1024) {  // the float sums may round: take them as the SSE kernel does
    return reduce(
        n, [=](std::size_t i) { return _mm256_mul_ps(load8(a + i), load8(b + i)); },
        [=](std::size_t i) { return _mm_mul_ps(load4(a + i), load4(b + i)); },
        [=](std::size_t i) { return float(a[i]) * float(b[i]); });
  }
  __m256i s0 = _mm256_setzero_si256(), s1 = _mm256_setzero_si256();
  std::size_t i = 0;
  for (; i + 32 <= n; i += 32) {
    s0 = _mm256_add_epi32(s0, _mm256_madd_epi16(widen16(a + i), widen16(b + i)));
    s1 = _mm256_add_epi32(s1, _mm256_madd_epi16(widen16(a + i + 16), widen16(b + i + 16)));
  }
  if (i + 16 <= n) {
    s0 = _mm256_add_epi32(s0, _mm256_madd_epi16(widen16(a + i), widen16(b + i)));
    i += 16;
  }
  const __m256i s = _mm256_add_epi32(s0, s1);
  __m128i t = _mm_add_epi32(_mm256_castsi256_si128(s), _mm256_extracti128_si256(s, 1));
  t = _mm_add_epi32(t, _mm_shuffle_epi32(t, 0x4e));
  t = _mm_add_epi32(t, _mm_shuffle_epi32(t, 0xb1));
  int sum = _mm_cvtsi128_si32(t);
  for (; i < n; ++i) sum += int(a[i]) * int(b[i]);
  return float(sum);
}

float l2sq_qq(const std::int8_t* a, float sa, const std::int8_t* b, float sb, std::size_t n) {
  const __m256 a8 = _mm256_set1_ps(sa), b8 = _mm256_set1_ps(sb);
  const __m128 a4 = _mm_set1_ps(sa), b4 = _mm_set1_ps(sb);
  return reduce(
      n,
      [=](std::size_t i) {
        const __m256 d = _mm256_sub_ps(_mm256_mul_ps(a8, load8(a + i)), _mm256_mul_ps(b8, load8(b + i)));
        return _mm256_mul_ps(d, d);
      },
      [=](std::size_t i) {
        const __m128 d = _mm_sub_ps(_mm_mul_ps(a4, load4(a + i)), _mm_mul_ps(b4, load4(b + i)));
        return _mm_mul_ps(d, d);
      },
      [=](std::size_t i) {
        const float d = sa * float(a[i]) - sb * float(b[i]);
        return d * d;
      });
}

void dot_rows(const float* q, const float* rows, std::size_t n, std::size_t stride, std::size_t count,
              float* out) {
  for (std::size_t r = 0; r < count; ++r) out[r] = dot_impl(rows + r * stride, q, n);
}

// Candidates per pass: as many accumulators as this instruction set's registers hold.
void dense_layer(const float* wt, const float* bias, std::size_t out, std::size_t in, const float* a,
                 std::size_t lda, std::size_t rows, float* z, std::size_t ldz, bool relu) {
  dense_layer_lanes<4>(wt, bias, out, in, a, lda, rows, z, ldz, relu);
}

}  // namespace

constinit const Table kAvx2 = {"avx2", false, dot, l2sq, dot_q, l2sq_q, dot_qq, l2sq_qq, dot_rows, dense_layer};

}  // namespace reco::kernels
