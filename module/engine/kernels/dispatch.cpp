// Which distance kernels run (reco/kernels.hpp): one table of function pointers per
// instruction set, the widest the CPU supports chosen once when the library loads.
//
// Why it is shaped so: reco.so is built once for baseline x86-64 and must run on every
// server of a cluster, so the AVX2 and AVX-512 kernels are separate translation units
// compiled with their own flags, reached only through these tables after the CPU (and the
// OS, which must save the wider registers) is checked. A table is chosen per process, not
// per call: the graph walk inlines the SSE kernels when those are active (so the default
// path is the code it was) and otherwise reads its kernel's pointer once per search and
// makes one indirect call per distance. That call was measured: the SSE kernels called
// through a pointer answered as many queries a second as inlined (within 3%, 100k x 64,
// float and int8), since a walk waits on memory far longer than on a predicted call.
// Instantiating the whole walk per instruction set would save that call at the cost of
// compiling the graph code (and the standard library it inlines) three times, each copy
// kept from becoming the program's as the kernel files are (kernel_table.hpp).
//
// Thread safety: the choice is made at load (a static initialiser, before any thread
// exists) and afterwards only by set_kernel(), which tests and benchmarks call before
// they start threads. The pointer is an atomic so that a late call is not a data race;
// every table gives the same results, so a search that saw the change half way through
// would still be right.
#include <atomic>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "reco/kernels.hpp"

namespace reco {
namespace kernels {
namespace {

// Widest first: the load-time choice is the first one the CPU supports.
const Table* const kAll[] = {
#if defined(__x86_64__)
    &kAvx512, &kAvx2,
#endif
    &kGeneric, &kScalar};

bool supported(const Table& t) noexcept {
#if defined(__x86_64__)
  // __builtin_cpu_supports also checks that the OS enabled the register state (XCR0).
  if (&t == &kAvx512) return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw");
  if (&t == &kAvx2) return __builtin_cpu_supports("avx2");
#endif
  return true;
}

const Table& widest() noexcept {
#if defined(__x86_64__)
  __builtin_cpu_init();  // may run before libgcc's own constructor has filled the CPU model
#endif
  for (const Table* t : kAll)
    if (supported(*t)) return *t;
  return kScalar;
}

const Table* find(std::string_view name) noexcept {
  if (name == "auto") return &widest();
  for (const Table* t : kAll)
    if (name == t->name) return supported(*t) ? t : nullptr;
  return nullptr;
}

// Constant-initialised to the baseline, so that code running in another file's static
// initialiser before the choice below still finds kernels it can run.
constinit std::atomic<const Table*> g_active{&kGeneric};

// RECO_KERNEL (e.g. "sse") overrides the choice when it names a supported kernel: a way for
// an operator to leave the wide registers alone and to compare kernels in one binary.
struct LoadTimeChoice {
  LoadTimeChoice() noexcept {
    const Table* t = nullptr;
    if (const char* env = std::getenv("RECO_KERNEL")) t = find(env);
    g_active.store(t ? t : &widest(), std::memory_order_relaxed);
  }
} g_load_time_choice;

}  // namespace

const Table& active() noexcept { return *g_active.load(std::memory_order_relaxed); }

}  // namespace kernels

std::string_view active_kernel_name() noexcept { return kernels::active().name; }

std::vector<std::string_view> available_kernels() {
  std::vector<std::string_view> out;
  for (const kernels::Table* t : kernels::kAll)
    if (kernels::supported(*t)) out.push_back(t->name);
  return out;
}

bool set_kernel(std::string_view name) noexcept {
  const kernels::Table* t = kernels::find(name);
  if (!t) return false;
  kernels::g_active.store(t, std::memory_order_relaxed);
  return true;
}

}  // namespace reco
