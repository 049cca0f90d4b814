// The allocator hooks the engine's containers use (see reco/memory.hpp).
#include "reco/memory.hpp"

#include <cstdlib>

namespace reco {
namespace {
MemoryHooks g_hooks{&std::malloc, &std::free};
}

void set_memory_hooks(MemoryHooks hooks) { g_hooks = hooks; }
const MemoryHooks& memory_hooks() { return g_hooks; }

}  // namespace reco
