// Fuzz target: the model file parser behind RECO.MODEL.PUT (safetensors framing, the schema
// JSON in its __metadata__, tensor shapes against the schema). Byte 0 picks the layer: the
// whole model parse, the safetensors reader alone, or the schema parser alone on JSON text.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "reco/error.hpp"
#include "reco/model.hpp"
#include "reco/model_schema.hpp"
#include "reco/safetensors.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  std::string_view bytes(reinterpret_cast<const char*>(data) + 1, size - 1);
  try {
    switch (data[0] % 3) {
      case 0: {
        auto m = reco::Model::parse(bytes);
        // A model that parses must serialize to a file that parses again.
        reco::Model::parse(m->to_bytes());
        break;
      }
      case 1:
        reco::read_safetensors(bytes);
        break;
      default:
        reco::parse_model_schema(bytes);
        break;
    }
  } catch (const reco::Error&) {
  }
  return 0;
}
