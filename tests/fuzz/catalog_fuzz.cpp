// Fuzz target: the catalog decoder (RDB aux data and the catalog part of every RDB a replica
// or DEBUG RELOAD reads). Byte 0 picks the encoding; the rest is what reco::load_catalog reads
// through the in-memory source, the same code the RDB adapter drives. A decoder error
// (reco::Error) is the expected outcome for most inputs; anything else is a finding.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "reco/codec.hpp"
#include "reco/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const std::uint32_t encoding = 1 + data[0] % reco::kCatalogEncoding;
  reco::BufferSource in(std::string_view(reinterpret_cast<const char*>(data) + 1, size - 1));
  try {
    auto c = reco::load_catalog(in, encoding);
    // A catalog that loads must also save: the saver walks every structure the loader built.
    reco::BufferSink out;
    reco::save_catalog(*c, out);
  } catch (const reco::Error&) {
  }
  return 0;
}
