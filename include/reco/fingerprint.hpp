// 64-bit fingerprints of item ids.
//
// A user's seen-set must not depend on any one catalog (users are keys, catalogs are
// node-level and may be rebuilt) and must stay compact at 10^4+ items, so it stores a
// fingerprint of each item id rather than the id or a catalog-internal number. The function
// is fixed forever: fingerprints are persisted in RDB and must agree across nodes.
#pragma once

#include <cstdint>
#include <string_view>

namespace reco {

// FNV-1a over the bytes, then a murmur3-style avalanche so that ids sharing a prefix
// spread over the whole 64-bit range.
constexpr std::uint64_t fingerprint(std::string_view id) noexcept {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (char c : id) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ULL;
  }
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ULL;
  h ^= h >> 33;
  return h;
}

}  // namespace reco
