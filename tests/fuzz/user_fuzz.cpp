// Fuzz target: the user-profile decoder, i.e. the bytes of a RESTORE payload (and of an RDB
// key) of the reco-user type once Redis has unwrapped its own framing. A loaded profile is
// saved again and must decode to the same bytes.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "reco/codec.hpp"
#include "reco/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  reco::BufferSource in(std::string_view(reinterpret_cast<const char*>(data), size));
  try {
    auto u = reco::load_user(in, reco::kUserEncoding);
    reco::BufferSink once;
    reco::save_user(*u, once);
    reco::BufferSource again(once.bytes());
    reco::BufferSink twice;
    reco::save_user(*reco::load_user(again, reco::kUserEncoding), twice);
    if (once.bytes() != twice.bytes()) std::abort();
  } catch (const reco::Error&) {
  }
  return 0;
}
