// What every benchmark program shares: its failure count, the item ids it writes and reads
// back, FP32 blobs, and numeric flags. Header-only and bench-only.
//
// A bench's numbers count only if its answers were right, so every check goes through fail()
// and a program exits non-zero when g_failures is not 0.
#pragma once

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>

namespace reco_bench {

inline std::size_t g_failures = 0;

inline void fail(const std::string& what) {
  if (++g_failures <= 20) std::fprintf(stderr, "CHECK FAILED: %s\n", what.c_str());
}

inline std::string item_id(std::uint32_t label) { return "i" + std::to_string(label); }

// Label of an id a bench wrote; UINT32_MAX if it is not one of ours.
inline std::uint32_t label_of(const char* s, std::size_t len) {
  if (len < 2 || s[0] != 'i') return UINT32_MAX;
  std::uint64_t v = 0;
  for (std::size_t i = 1; i < len; ++i) {
    if (s[i] < '0' || s[i] > '9') return UINT32_MAX;
    v = v * 10 + static_cast<std::uint64_t>(s[i] - '0');
    if (v >= UINT32_MAX) return UINT32_MAX;
  }
  return static_cast<std::uint32_t>(v);
}

// x86-64 is little-endian, which is what FP32 means on the wire.
inline std::string blob(const float* v, std::size_t dim) {
  return std::string(reinterpret_cast<const char*>(v), dim * sizeof(float));
}

inline std::size_t parse_size(const std::string& flag, const std::string& v) {
  char* end = nullptr;
  errno = 0;
  unsigned long long x = std::strtoull(v.c_str(), &end, 10);
  if (v.empty() || *end || errno || v[0] == '-')
    throw std::runtime_error(flag + " needs a non-negative integer, got '" + v + "'");
  return static_cast<std::size_t>(x);
}

}  // namespace reco_bench
