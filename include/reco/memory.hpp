// Where the engine's memory comes from.
//
// Inside redis-server every byte a catalog or user holds must go through the module
// allocator, so that INFO used_memory and maxmemory see it. The engine cannot include a
// Redis header, so the glue installs two function pointers at load time and every engine
// container uses reco::Allocator. Outside Redis (tests, loaders, bench) they stay malloc/free.
#pragma once

#include <cstddef>
#include <new>
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

template <class T>
struct Allocator {
  using value_type = T;
  Allocator() noexcept = default;
  template <class U>
  Allocator(const Allocator<U>&) noexcept {}

  T* allocate(std::size_t n) {
    void* p = memory_hooks().alloc(n * sizeof(T));
    if (!p) throw std::bad_alloc();
    return static_cast<T*>(p);
  }
  void deallocate(T* p, std::size_t) noexcept { memory_hooks().free(p); }

  template <class U>
  bool operator==(const Allocator<U>&) const noexcept { return true; }
};

template <class T>
using Vec = std::vector<T, Allocator<T>>;
using String = std::basic_string<char, std::char_traits<char>, Allocator<char>>;

template <class K, class V, class H = std::hash<K>, class E = std::equal_to<K>>
using HashMap = std::unordered_map<K, V, H, E, Allocator<std::pair<const K, V>>>;

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
