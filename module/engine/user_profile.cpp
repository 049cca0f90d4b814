// Size accounting of a user profile (see reco/user_profile.hpp).
#include "reco/user_profile.hpp"

namespace reco {

std::size_t UserProfile::memory_bytes() const noexcept {
  std::size_t bytes = sizeof(*this) + heap_bytes(vector) + heap_bytes(terms) +
                      seen.heap_bytes() + heap_bytes(features);
  for (const WeightedTerm& t : terms) bytes += heap_bytes(t.term);
  for (const Feature& f : features) bytes += heap_bytes(f.name) + heap_bytes(f.value);
  return bytes;
}

}  // namespace reco
