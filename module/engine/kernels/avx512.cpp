// AVX-512 kernels (compiled with -mavx512f -mavx512bw, module/CMakeLists.txt; called only
// where the CPU and the OS support both, see dispatch.cpp).
//
// The four 4-lane accumulators of the SSE kernels are the four quarters of one 16-lane
// register: the same sixteen partial sums in the same order (reco/kernel_table.hpp), a
// quarter of the instructions. The leftover groups of four and the reduction run on the
// 128-bit quarters exactly as the SSE kernel does. No FMA, for the reason given in
// avx2.cpp (the results would depend on the CPU); int8 x int8 products are summed as
// integers below 1025 elements, where that is the same float (avx2.cpp). AVX512-VNNI is not
// used: its only candidate here is that integer sum, where it would fuse one add per 32
// elements, and it runs while graphs are built under IP, not while they are searched.
//
// Only kernel_table.hpp and the intrinsics header are included, and everything here has
// internal linkage: no inline function compiled for AVX-512 may end up as the program's copy.
// GCC 12's AVX-512 intrinsics start some results from a self-initialised "undefined"
// register, which its own -Wuninitialized then reports at every use (GCC bug 105593).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <immintrin.h>

#include "reco/kernel_table.hpp"
#include "dense_layer.hpp"

namespace reco::kernels {
namespace {

inline __m512 load16(const float* p) { return _mm512_loadu_ps(p); }
inline __m128 load4(const float* p) { return _mm_loadu_ps(p); }
inline __m512 load16(const std::int8_t* p) {
  return _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p))));
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

// b16(i): the terms of elements [i, i + 16); b4(i): of [i, i + 4); one(i): of element i.
template <class B16, class B4, class One>
inline float reduce(std::size_t n, const B16& b16, const B4& b4, const One& one) {
  __m512 acc = _mm512_setzero_ps();  // s0 | s1 | s2 | s3
  std::size_t i = 0;
  for (; i + 16 <= n; i += 16) acc = _mm512_add_ps(acc, b16(i));
  __m128 s0 = _mm512_castps512_ps128(acc);
  const __m128 s1 = _mm512_extractf32x4_ps(acc, 1), s2 = _mm512_extractf32x4_ps(acc, 2),
               s3 = _mm512_extractf32x4_ps(acc, 3);
  for (; i + 4 <= n; i += 4) s0 = _mm_add_ps(s0, b4(i));
  float s = hsum(s0, s1, s2, s3);
  for (; i < n; ++i) s += one(i);
  return s;
}

inline float dot_impl(const float* a, const float* b, std::size_t n) {
  return reduce(
      n, [=](std::size_t i) { return _mm512_mul_ps(load16(a + i), load16(b + i)); },
      [=](std::size_t i) { return _mm_mul_ps(load4(a + i), load4(b + i)); },
      [=](std::size_t i) { return a[i] * b[i]; });
}

float dot(const float* a, const float* b, std::size_t n) { return dot_impl(a, b, n); }

float l2sq(const float* a, const float* b, std::size_t n) {
  return reduce(
      n,
      [=](std::size_t i) {
        const __m512 d = _mm512_sub_ps(load16(a + i), load16(b + i));
        return _mm512_mul_ps(d, d);
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
      n, [=](std::size_t i) { return _mm512_mul_ps(load16(q + i), load16(c + i)); },
      [=](std::size_t i) { return _mm_mul_ps(load4(q + i), load4(c + i)); },
      [=](std::size_t i) { return q[i] * float(c[i]); });
}

float l2sq_q(const float* q, const std::int8_t* c, float scale, std::size_t n) {
  const __m512 s16 = _mm512_set1_ps(scale);
  const __m128 s4 = _mm_set1_ps(scale);
  return reduce(
      n,
      [=](std::size_t i) {
        const __m512 d = _mm512_sub_ps(load16(q + i), _mm512_mul_ps(s16, load16(c + i)));
        return _mm512_mul_ps(d, d);
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

float dot_qq(const std::int8_t* a, const std::int8_t* b, std::size_t n) {
  if (n > 1024) {  // the float sums may round: take them as the SSE kernel does
    return reduce(
        n, [=](std::size_t i) { return _mm512_mul_ps(load16(a + i), load16(b + i)); },
        [=](std::size_t i) { return _mm_mul_ps(load4(a + i), load4(b + i)); },
        [=](std::size_t i) { return float(a[i]) * float(b[i]); });
  }
  __m512i acc = _mm512_setzero_si512();
  std::size_t i = 0;
  for (; i + 32 <= n; i += 32) {
    const __m512i x = _mm512_cvtepi8_epi16(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(a + i)));
    const __m512i y = _mm512_cvtepi8_epi16(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(b + i)));
    acc = _mm512_add_epi32(acc, _mm512_madd_epi16(x, y));
  }
  __m256i s = _mm256_add_epi32(_mm512_castsi512_si256(acc), _mm512_extracti64x4_epi64(acc, 1));
  if (i + 16 <= n) {
    const __m256i x = _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(a + i)));
    const __m256i y = _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(b + i)));
    s = _mm256_add_epi32(s, _mm256_madd_epi16(x, y));
    i += 16;
  }
  __m128i t = _mm_add_epi32(_mm256_castsi256_si128(s), _mm256_extracti128_si256(s, 1));
  t = _mm_add_epi32(t, _mm_shuffle_epi32(t, 0x4e));
  t = _mm_add_epi32(t, _mm_shuffle_epi32(t, 0xb1));
  int sum = _mm_cvtsi128_si32(t);
  for (; i < n; ++i) sum += int(a[i]) * int(b[i]);
  return float(sum);
}

float l2sq_qq(const std::int8_t* a, float sa, const std::int8_t* b, float sb, std::size_t n) {
  const __m512 a16 = _mm512_set1_ps(sa), b16 = _mm512_set1_ps(sb);
  const __m128 a4 = _mm_set1_ps(sa), b4 = _mm_set1_ps(sb);
  return reduce(
      n,
      [=](std::size_t i) {
        const __m512 d = _mm512_sub_ps(_mm512_mul_ps(a16, load16(a + i)), _mm512_mul_ps(b16, load16(b + i)));
        return _mm512_mul_ps(d, d);
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
  dense_layer_lanes<8>(wt, bias, out, in, a, lda, rows, z, ldz, relu);
}

}  // namespace

constinit const Table kAvx512 = {"avx512", false, dot, l2sq, dot_q, l2sq_q, dot_qq, l2sq_qq, dot_rows, dense_layer};

}  // namespace reco::kernels
