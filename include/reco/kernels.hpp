// Which distance kernels run: chosen once for the CPU reco runs on, inside one portable
// build (the engine is compiled for baseline x86-64; the AVX2 and AVX-512 kernels are
// separate translation units, and are only called where the CPU has those instructions).
//
// The choice is made when the library loads: the widest of avx512 (AVX-512 F and BW),
// avx2, sse (baseline x86-64; "generic" elsewhere) the CPU and OS support, unless the
// environment variable RECO_KERNEL names another supported one. set_kernel() exists for
// tests and benchmarks; call it before any thread searches, never while one does (a
// search reads the choice once and may mix kernels if it changes under it; every kernel
// gives the same results, so even that would only cost time).
#pragma once

#include <string_view>
#include <vector>

#include "reco/kernel_table.hpp"

namespace reco {

namespace kernels {
// The active table (never null; valid for the life of the program).
const Table& active() noexcept;
}  // namespace kernels

// "avx512", "avx2", "sse" or "scalar" ("generic" instead of "sse" off x86-64).
std::string_view active_kernel_name() noexcept;

// The kernels this CPU can run, the widest first; "scalar" is always last.
std::vector<std::string_view> available_kernels();

// Makes `name` the active kernel ("auto": the widest this CPU supports, whatever
// RECO_KERNEL says). False, and nothing changes, if the name is unknown or the CPU lacks
// its instructions.
bool set_kernel(std::string_view name) noexcept;

}  // namespace reco
