// The table of the header kernels (hnsw_distance.hpp, hnsw_quantizer.hpp): 4-lane vector
// types at the build's baseline, SSE on x86-64. Callers that can inline those kernels
// (the graph walk) do so when this table is active; the pointers serve the others.
#include "reco/hnsw_distance.hpp"
#include "reco/hnsw_quantizer.hpp"
#include "reco/kernel_table.hpp"
#include "dense_layer.hpp"

namespace reco::kernels {
namespace {

float dot(const float* a, const float* b, std::size_t n) { return hnsw::dot(a, b, n); }
float l2sq(const float* a, const float* b, std::size_t n) { return hnsw::l2sq(a, b, n); }
float dot_q(const float* q, const std::int8_t* c, std::size_t n) { return hnsw::dot_q(q, c, n); }
float l2sq_q(const float* q, const std::int8_t* c, float scale, std::size_t n) {
  return hnsw::l2sq_q(q, c, scale, n);
}
float dot_qq(const std::int8_t* a, const std::int8_t* b, std::size_t n) { return hnsw::dot_qq(a, b, n); }
float l2sq_qq(const std::int8_t* a, float sa, const std::int8_t* b, float sb, std::size_t n) {
  return hnsw::l2sq_qq(a, sa, b, sb, n);
}
// Two rows at a time, each summed in its own (the shared) order: the query is loaded once
// for both, which is what brought the scan back to the speed of the Eigen loop it replaced
// (one row at a time was ~10% slower at 64 dims, bench/kernel_bench).
void dot_rows(const float* q, const float* rows, std::size_t n, std::size_t stride, std::size_t count,
              float* out) {
  using hnsw::FV;
  using hnsw::loadv;
  std::size_t r = 0;
  for (; r + 2 <= count; r += 2) {
    const float* a = rows + r * stride;
    const float* b = a + stride;
    FV a0 = {}, a1 = {}, a2 = {}, a3 = {}, b0 = {}, b1 = {}, b2 = {}, b3 = {};
    std::size_t i = 0;
    for (; i + 16 <= n; i += 16) {
      FV x = loadv(q + i);
      a0 += loadv(a + i) * x;
      b0 += loadv(b + i) * x;
      x = loadv(q + i + 4);
      a1 += loadv(a + i + 4) * x;
      b1 += loadv(b + i + 4) * x;
      x = loadv(q + i + 8);
      a2 += loadv(a + i + 8) * x;
      b2 += loadv(b + i + 8) * x;
      x = loadv(q + i + 12);
      a3 += loadv(a + i + 12) * x;
      b3 += loadv(b + i + 12) * x;
    }
    for (; i + 4 <= n; i += 4) {
      const FV x = loadv(q + i);
      a0 += loadv(a + i) * x;
      b0 += loadv(b + i) * x;
    }
    float sa = hnsw::hsumv((a0 + a1) + (a2 + a3)), sb = hnsw::hsumv((b0 + b1) + (b2 + b3));
    for (; i < n; ++i) {
      sa += a[i] * q[i];
      sb += b[i] * q[i];
    }
    out[r] = sa;
    out[r + 1] = sb;
  }
  if (r < count) out[r] = hnsw::dot(rows + r * stride, q, n);
}

// Candidates per pass: as many accumulators as this instruction set's registers hold.
void dense_layer(const float* wt, const float* bias, std::size_t out, std::size_t in, const float* a,
                 std::size_t lda, std::size_t rows, float* z, std::size_t ldz, bool relu) {
  dense_layer_lanes<2>(wt, bias, out, in, a, lda, rows, z, ldz, relu);
}

}  // namespace

#if defined(__x86_64__)
constinit const Table kGeneric = {"sse", true, dot, l2sq, dot_q, l2sq_q, dot_qq, l2sq_qq, dot_rows, dense_layer};
#else
constinit const Table kGeneric = {"generic", true, dot, l2sq, dot_q, l2sq_q, dot_qq, l2sq_qq, dot_rows, dense_layer};
#endif

}  // namespace reco::kernels
