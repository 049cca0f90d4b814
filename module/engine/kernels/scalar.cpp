// The reference kernels: plain scalar loops in the shared summation order of
// reco/kernel_table.hpp (sixteen partial sums, element i into sum i % 16), one element at a
// time. Compiled without auto-vectorisation (module/CMakeLists.txt), so they are what their
// name says: what the tests compare every other table with, and a floor to measure against.
#include "reco/kernel_table.hpp"

namespace reco::kernels {
namespace {

// term(i) is element i's contribution; see kernel_table.hpp for the order.
template <class Term>
inline float reduce(std::size_t n, const Term& term) noexcept {
  float acc[16] = {};
  std::size_t i = 0;
  for (; i + 16 <= n; i += 16)
    for (std::size_t j = 0; j < 16; ++j) acc[j] += term(i + j);
  for (; i + 4 <= n; i += 4)
    for (std::size_t j = 0; j < 4; ++j) acc[j] += term(i + j);
  float s = 0;
  for (std::size_t j = 0; j < 4; ++j) s += (acc[j] + acc[4 + j]) + (acc[8 + j] + acc[12 + j]);
  for (; i < n; ++i) s += term(i);
  return s;
}

float dot(const float* a, const float* b, std::size_t n) {
  return reduce(n, [=](std::size_t i) { return a[i] * b[i]; });
}

float l2sq(const float* a, const float* b, std::size_t n) {
  return reduce(n, [=](std::size_t i) {
    const float d = a[i] - b[i];
    return d * d;
  });
}

float dot_q(const float* q, const std::int8_t* c, std::size_t n) {
  return reduce(n, [=](std::size_t i) { return q[i] * float(c[i]); });
}

float l2sq_q(const float* q, const std::int8_t* c, float scale, std::size_t n) {
  return reduce(n, [=](std::size_t i) {
    const float d = q[i] - scale * float(c[i]);
    return d * d;
  });
}

float dot_qq(const std::int8_t* a, const std::int8_t* b, std::size_t n) {
  return reduce(n, [=](std::size_t i) { return float(a[i]) * float(b[i]); });
}

float l2sq_qq(const std::int8_t* a, float sa, const std::int8_t* b, float sb, std::size_t n) {
  return reduce(n, [=](std::size_t i) {
    const float d = sa * float(a[i]) - sb * float(b[i]);
    return d * d;
  });
}

void dot_rows(const float* q, const float* rows, std::size_t n, std::size_t stride, std::size_t count,
              float* out) {
  for (std::size_t r = 0; r < count; ++r) out[r] = dot(rows + r * stride, q, n);
}

void dense_layer(const float* wt, const float* bias, std::size_t out, std::size_t in, const float* a,
                 std::size_t lda, std::size_t rows, float* z, std::size_t ldz, bool relu) {
  for (std::size_t r = 0; r < rows; ++r)
    for (std::size_t o = 0; o < out; ++o) {
      float s = 0;
      for (std::size_t i = 0; i < in; ++i) s += wt[i * out + o] * a[r * lda + i];
      s += bias[o];
      z[r * ldz + o] = relu ? (s > 0.0f ? s : 0.0f) : s;
    }
}

}  // namespace

constinit const Table kScalar = {"scalar", false, dot, l2sq, dot_q, l2sq_q, dot_qq, l2sq_qq, dot_rows, dense_layer};

}  // namespace reco::kernels
