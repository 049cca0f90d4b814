// One dense layer of a ranking model over a batch of candidates, shared by the SSE, AVX2
// and AVX-512 kernel files, each of which compiles it for its own instruction set.
//
// The output units are the lanes: for each candidate, sixteen outputs at a time gather
// w_t[i][o..o+16) * a[i] over the inputs i in order from 0, then add the bias. A wider
// register only holds more of the same sums side by side; it never changes the order of
// any one sum, so every table gives the very same bits (the rule of reco/kernel_table.hpp),
// which a GEMM that splits a reduction across lanes would not. Candidates stay row-major
// from layer to layer (no transposes), and a few of them share each weight load.
// Everything is in an anonymous namespace on purpose: an ISA file's copy must stay its own
// (see kernel_table.hpp for why no inline function with external linkage may live here).
#pragma once

#include <cstddef>

namespace reco::kernels {
namespace {

using Lanes16 = float __attribute__((vector_size(64)));

inline float relu_scalar(float s) { return s > 0.0f ? s : 0.0f; }  // NaN -> 0, as the lanes

// C candidates at a time: C accumulators of sixteen outputs stay in registers while the
// weights stream by once for all C.
template <std::size_t C>
void dense_candidates(const float* wt, const float* bias, std::size_t out, std::size_t in, const float* a,
                      std::size_t lda, float* z, std::size_t ldz, bool relu) {
  std::size_t o = 0;
  for (; o + 16 <= out; o += 16) {
    Lanes16 acc[C] = {};
    for (std::size_t i = 0; i < in; ++i) {
      Lanes16 w;
      __builtin_memcpy(&w, wt + i * out + o, sizeof w);
      for (std::size_t c = 0; c < C; ++c) acc[c] += w * a[c * lda + i];
    }
    Lanes16 b;
    __builtin_memcpy(&b, bias + o, sizeof b);
    for (std::size_t c = 0; c < C; ++c) {
      Lanes16 v = acc[c] + b;
      if (relu) {
        const auto positive = v > 0.0f;  // lanes of all ones where v > 0 (false for NaN)
        v = reinterpret_cast<Lanes16>(reinterpret_cast<decltype(positive)>(v) & positive);
      }
      __builtin_memcpy(z + c * ldz + o, &v, sizeof v);
    }
  }
  for (; o < out; ++o)  // the last out % 16 units, one at a time in the same order
    for (std::size_t c = 0; c < C; ++c) {
      float s = 0.0f;
      for (std::size_t i = 0; i < in; ++i) s += wt[i * out + o] * a[c * lda + i];
      s += bias[o];
      z[c * ldz + o] = relu ? relu_scalar(s) : s;
    }
}

template <std::size_t C>
void dense_layer_lanes(const float* wt, const float* bias, std::size_t out, std::size_t in, const float* a,
                       std::size_t lda, std::size_t rows, float* z, std::size_t ldz, bool relu) {
  std::size_t r = 0;
  for (; r + C <= rows; r += C) dense_candidates<C>(wt, bias, out, in, a + r * lda, lda, z + r * ldz, ldz, relu);
  for (; r < rows; ++r) dense_candidates<1>(wt, bias, out, in, a + r * lda, lda, z + r * ldz, ldz, relu);
}

}  // namespace
}  // namespace reco::kernels
