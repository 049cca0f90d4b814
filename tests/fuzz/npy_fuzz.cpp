// Fuzz target: the .npy reader of loaders/ (header dict, dtype, shape, data size), for factor
// matrices and for id lists. DataError is the reader's answer to a malformed file.
#include <cstdio>

#include "input_file.hpp"
#include "reco_offline/npy.hpp"
#include "reco_offline/text_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const std::string path = reco_fuzz::write_input(data + 1, size - 1, ".npy");
  try {
    if (data[0] % 2 == 0)
      reco_offline::read_npy_matrix(path);
    else
      reco_offline::read_npy_ids(path);
  } catch (const reco_offline::DataError&) {
  }
  std::remove(path.c_str());
  return 0;
}
