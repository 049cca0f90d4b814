// Fuzz target: the CSV/TSV readers of loaders/: factor tables (.csv, .tsv) and the prepared
// directory's item, user and rating files, byte 0 picking the reader.
#include <cstdio>

#include "input_file.hpp"
#include "reco_offline/factor_files.hpp"
#include "reco_offline/records.hpp"
#include "reco_offline/text_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const int kind = data[0] % 5;
  const std::string path = reco_fuzz::write_input(data + 1, size - 1, kind == 1 ? ".tsv" : ".csv");
  try {
    switch (kind) {
      case 0:
      case 1: reco_offline::read_factors(path); break;
      case 2: reco_offline::read_items(path); break;
      case 3: reco_offline::read_users(path); break;
      default: {
        std::vector<std::vector<reco_offline::WeightedTerm>> terms;
        reco_offline::read_rating_rows(path, &terms);
        break;
      }
    }
  } catch (const reco_offline::DataError&) {
  }
  std::remove(path.c_str());
  return 0;
}
