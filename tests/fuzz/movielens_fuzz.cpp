// Fuzz target: the MovieLens readers of loaders/ (ml-1m .dat, ml-100k u.*, ml-latest CSV),
// byte 0 picking the file kind. DataError("file:line: ...") is the readers' answer to a
// malformed line.
#include <cstdio>

#include "input_file.hpp"
#include "reco_offline/movielens.hpp"
#include "reco_offline/text_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const std::string path = reco_fuzz::write_input(data + 1, size - 1, ".dat");
  try {
    switch (data[0] % 8) {
      case 0: reco_offline::read_ml1m_users(path); break;
      case 1: reco_offline::read_ml1m_movies(path); break;
      case 2: reco_offline::read_ml1m_ratings(path); break;
      case 3: reco_offline::read_ml100k_users(path); break;
      case 4: reco_offline::read_ml100k_items(path); break;
      case 5: reco_offline::read_ml100k_ratings(path); break;
      case 6: reco_offline::read_latest_movies(path); break;
      default: reco_offline::read_latest_ratings(path); break;
    }
  } catch (const reco_offline::DataError&) {
  }
  std::remove(path.c_str());
  return 0;
}
