// The allocator hooks the engine's containers use, and the per-thread growth limit (see
// reco/memory.hpp).
#include "reco/memory.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

namespace reco {
namespace {
MemoryHooks g_hooks{&std::malloc, &std::free};
thread_local GrowthLimit* t_limit = nullptr;
}  // namespace

void set_memory_hooks(MemoryHooks hooks) { g_hooks = hooks; }
const MemoryHooks& memory_hooks() { return g_hooks; }

void* allocate_bytes(std::size_t bytes) {
  if (GrowthLimit* limit = t_limit) {
    const std::size_t cap = limit->limit_ + (bytes < kGrowthStepBytes ? kGrowthSlackBytes : 0);
    if (limit->used_ > cap || bytes > cap - limit->used_)
      throw MemoryLimitReached(bytes, limit->limit_ - std::min(limit->used_, limit->limit_));
    limit->used_ += bytes;
  }
  void* p = g_hooks.alloc(bytes == 0 ? 1 : bytes);
  if (!p) throw std::bad_alloc();
  return p;
}

MemoryLimitReached::MemoryLimitReached(std::size_t asked, std::size_t left) noexcept {
  std::snprintf(text_, sizeof text_, "a step of %zu bytes would cross maxmemory (%zu bytes left)", asked,
                left);
}

GrowthLimit::GrowthLimit(std::size_t bytes) noexcept : limit_(bytes), outer_(t_limit) {
  // Nested limits: the tighter one counts, and the outer one is charged what the inner took.
  if (outer_) limit_ = std::min(limit_, *remaining());
  t_limit = this;
}

GrowthLimit::~GrowthLimit() {
  if (outer_) outer_->used_ += used_;
  t_limit = outer_;
}

std::optional<std::size_t> GrowthLimit::remaining() noexcept {
  if (!t_limit) return std::nullopt;
  return t_limit->limit_ - std::min(t_limit->used_, t_limit->limit_);
}

}  // namespace reco
