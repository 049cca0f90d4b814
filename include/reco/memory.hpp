// Where the engine's memory comes from, and how much a write may take.
//
// Inside redis-server every byte a catalog or user holds must go through the module
// allocator, so that INFO used_memory and maxmemory see it. The engine cannot include a
// Redis header, so the glue installs two function pointers at load time; every engine
// container uses reco::Allocator and every engine object that outlives a request is
// allocated by RECO_HOOK_ALLOCATED's operator new (or allocate_shared with Allocator).
// Outside Redis (tests, loaders, bench) the hooks stay malloc/free. A hook that returns
// null (RedisModule_TryAlloc) becomes std::bad_alloc, which the glue answers with an error.
//
// A GrowthLimit caps what the calling thread may allocate while it lives: the glue puts one
// around a client's write when maxmemory is set, sized to what is left below it, so a growth
// step that would cross maxmemory (a doubling array, a large model) fails before it happens,
// with nothing yet changed, instead of after. Frees do not give bytes back to the limit: it
// bounds what one write may ask for, not the net change. Allocations smaller than
// kGrowthStepBytes may run kGrowthSlackBytes past it: a write takes its large steps before
// its first change, and what it allocates after (a map node, a short string) must not be
// refused half-way, while a flood of small ones (a huge JSON tree) still is. Thread-local,
// so a worker preparing a write carries the limit of the call it works for and queries are
// never limited.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace reco {

struct MemoryHooks {
  void* (*alloc)(std::size_t bytes);
  void (*free)(void* ptr);
};

// Install once, before any engine object exists; objects never outlive their hooks.
void set_memory_hooks(MemoryHooks hooks);
const MemoryHooks& memory_hooks();

// Through the hooks and the calling thread's GrowthLimit; throws std::bad_alloc (or
// MemoryLimitReached) instead of returning null.
void* allocate_bytes(std::size_t bytes);
inline void free_bytes(void* p) noexcept { memory_hooks().free(p); }

// Refused by a GrowthLimit: what() says how much was asked and how much was left.
class MemoryLimitReached : public std::bad_alloc {
 public:
  MemoryLimitReached(std::size_t asked, std::size_t left) noexcept;
  const char* what() const noexcept override { return text_; }

 private:
  char text_[128];
};

inline constexpr std::size_t kGrowthStepBytes = 64 * 1024;
inline constexpr std::size_t kGrowthSlackBytes = 1024 * 1024;

class GrowthLimit {
 public:
  explicit GrowthLimit(std::size_t bytes) noexcept;  // installs itself for this thread
  ~GrowthLimit();                                    // puts back the one it replaced
  GrowthLimit(const GrowthLimit&) = delete;
  GrowthLimit& operator=(const GrowthLimit&) = delete;

  // What the calling thread may still allocate; nullopt when no limit is installed.
  static std::optional<std::size_t> remaining() noexcept;

 private:
  friend void* allocate_bytes(std::size_t);
  std::size_t limit_, used_ = 0;
  GrowthLimit* outer_;
};

// Class-specific operator new/delete through the hooks, for engine objects held by
// pointer (catalogs, indexes, models, user profiles).
#define RECO_HOOK_ALLOCATED                                                        \
  static void* operator new(std::size_t bytes) { return ::reco::allocate_bytes(bytes); } \
  static void operator delete(void* p) noexcept { ::reco::free_bytes(p); }

template <class T>
struct Allocator {
  using value_type = T;
  Allocator() noexcept = default;
  template <class U>
  Allocator(const Allocator<U>&) noexcept {}

  T* allocate(std::size_t n) {
    if (n > SIZE_MAX / sizeof(T)) throw std::bad_alloc();
    return static_cast<T*>(allocate_bytes(n * sizeof(T)));
  }
  void deallocate(T* p, std::size_t) noexcept { free_bytes(p); }

  template <class U>
  bool operator==(const Allocator<U>&) const noexcept { return true; }
};

template <class T>
using Vec = std::vector<T, Allocator<T>>;
using String = std::basic_string<char, std::char_traits<char>, Allocator<char>>;

template <class K, class V, class H = std::hash<K>, class E = std::equal_to<K>>
using HashMap = std::unordered_map<K, V, H, E, Allocator<std::pair<const K, V>>>;

// A shared object whose block (control block included) comes from the hooks.
template <class T, class... A>
std::shared_ptr<T> make_hooked_shared(A&&... args) {
  return std::allocate_shared<T>(Allocator<T>{}, std::forward<A>(args)...);
}

// Takes ahead the rehash that inserting `more` entries into `map` would do. Only when one
// is due: unordered_map::reserve() may also rehash to fewer buckets, which done on every
// write would cost O(n) each time.
template <class Map>
void reserve_entries(Map& map, std::size_t more) {
  const std::size_t want = map.size() + more;
  if (static_cast<double>(want) > static_cast<double>(map.bucket_count()) * map.max_load_factor())
    map.reserve(2 * want);
}

inline String to_string(std::string_view s) { return String(s.data(), s.size()); }
inline std::string_view view(const String& s) { return {s.data(), s.size()}; }

// Hash and equality for maps keyed by String that are looked up by string_view (no
// temporary String per lookup).
struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
  std::size_t operator()(const String& s) const noexcept { return (*this)(view(s)); }
};
struct StringEq {
  using is_transparent = void;
  bool operator()(std::string_view a, std::string_view b) const noexcept { return a == b; }
};

// Bytes held by a container's heap buffer; used for MEMORY USAGE and INFO estimates.
template <class T>
std::size_t heap_bytes(const Vec<T>& v) { return v.capacity() * sizeof(T); }
inline std::size_t heap_bytes(const String& s) {
  // Short strings live inside the object (SSO) and own no heap block.
  return s.capacity() > 15 ? s.capacity() + 1 : 0;
}

}  // namespace reco
