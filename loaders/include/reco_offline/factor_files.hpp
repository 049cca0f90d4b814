// Factor tables (one vector per id) in the files people already exchange:
//   .npy matrix + id list (.txt one id per line, or a 1-D .npy of ints/strings),
//   .csv / .tsv with the id in the first column and an optional header line
//   (written as "id,f0,f1,..."), values printed in shortest round-trip form.
// Everything read is checked: one dimension for all rows, finite values,
// as many ids as rows, no id twice.
#pragma once

#include <string>
#include <vector>

#include "reco_offline/mf_trainer.hpp"

namespace reco_offline {

struct FactorTable {
  std::vector<std::string> ids;
  FactorMatrix vectors;  // one row per id
};

enum class FactorFormat { Npy, Csv, Tsv };

// From the extension (.npy, .csv, .tsv); throws DataError for anything else.
FactorFormat factor_format_of(const std::string& path);
const char* factor_format_name(FactorFormat format);

// `ids_path` is used (and required) only for .npy.
void write_factors(const FactorTable& table, const std::string& path, const std::string& ids_path = {});
FactorTable read_factors(const std::string& path, const std::string& ids_path = {});

std::vector<std::string> read_id_list(const std::string& path);
void write_id_list(const std::string& path, const std::vector<std::string>& ids);

// The trained rows (users or items with at least one training rating) as a table.
FactorTable user_factors(const MfModel& model);
FactorTable item_factors(const MfModel& model);

}  // namespace reco_offline

namespace reco_offline {

struct FactorFileSet {
  std::string path;
  std::string ids_path;  // empty unless .npy
};

// The factor files reco-train writes for `kind` ("item" or "user") in `dir`:
// <kind>_factors.npy + <kind>_ids.txt, else <kind>_factors.csv, else .tsv.
// Empty path if none exists.
FactorFileSet find_factor_files(const std::string& dir, const std::string& kind);

}  // namespace reco_offline
