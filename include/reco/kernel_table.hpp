// One instruction set's distance kernels, as a table of plain function pointers.
//
// Only <cstddef> and <cstdint> here, on purpose: the AVX2 and AVX-512 tables are defined in
// translation units compiled for those instruction sets, and whatever inline function such a
// unit instantiates may be the copy the linker keeps for the whole program (then a CPU
// without AVX-512 would run AVX-512 code it never asked for). A header with no inline
// function cannot leak one. The API (which table is active, choosing one) is reco/kernels.hpp.
#pragma once

#include <cstddef>
#include <cstdint>

namespace reco::kernels {

// Every kernel sums in one fixed order, the one of the 4-lane kernels of hnsw_distance.hpp:
// sixteen partial sums (four accumulators of four lanes; element i goes to sum i % 16),
// then the remaining whole groups of four into the first accumulator, then
// ((s0 + s1) + (s2 + s3)) lane by lane, then its four lanes from left to right, then the
// remaining elements one by one; no fused multiply-add. So every table returns the very
// same float for the same input, bit for bit: a graph built on a CPU with AVX-512 is the
// graph another node of the cluster builds with SSE, and results do not depend on the
// machine that answers them.
struct Table {
  const char* name;  // "scalar", "sse", "avx2", "avx512" ("generic" off x86-64)
  // True for the kernels of hnsw_distance.hpp / hnsw_quantizer.hpp themselves: a hot loop
  // may then call those inline instead of through the pointers below (same results).
  bool header_inline;
  // sum a_i * b_i
  float (*dot)(const float* a, const float* b, std::size_t n);
  // sum (a_i - b_i)^2
  float (*l2sq)(const float* a, const float* b, std::size_t n);
  // sum q_i * c_i (multiply by the code's scale for the inner product)
  float (*dot_q)(const float* q, const std::int8_t* c, std::size_t n);
  // sum (q_i - scale * c_i)^2
  float (*l2sq_q)(const float* q, const std::int8_t* c, float scale, std::size_t n);
  // sum a_i * b_i over codes
  float (*dot_qq)(const std::int8_t* a, const std::int8_t* b, std::size_t n);
  // sum (sa * a_i - sb * b_i)^2
  float (*l2sq_qq)(const std::int8_t* a, float sa, const std::int8_t* b, float sb, std::size_t n);
  // out[r] = dot(rows + r * stride, q, n) for r < count: an exact scan's inner loop in one
  // call. stride (in floats, >= n) lets a scan read vectors stored inside larger records
  // (a graph node's block) as well as back to back (stride == n).
  void (*dot_rows)(const float* q, const float* rows, std::size_t n, std::size_t stride, std::size_t count,
                   float* out);
  // One dense layer over `rows` candidates, row-major: z[r * ldz + o] = act(sum_i
  // wt[i * out + o] * a[r * lda + i] + bias[o]), the sum over i in order from 0 and then the
  // bias (wt is the layer's weight transposed, [in, out]); act: max(0, x) when relu, NaN to
  // 0; else identity. The same bits from every table (kernels/dense_layer.hpp says how).
  void (*dense_layer)(const float* wt, const float* bias, std::size_t out, std::size_t in, const float* a,
                      std::size_t lda, std::size_t rows, float* z, std::size_t ldz, bool relu);
};

// The tables (module/engine/kernels/). Those of an instruction set the CPU lacks must not
// be called; reco/kernels.hpp hands out only supported ones.
extern const Table kScalar;
extern const Table kGeneric;  // "sse" on x86-64
#if defined(__x86_64__)
extern const Table kAvx2;
extern const Table kAvx512;
#endif

}  // namespace reco::kernels
