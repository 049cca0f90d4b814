// The prepared directory: what the loader, the trainer and the evaluation read.
//   items.tsv     item, title, terms (a|b), popularity, time, features (k=v;k=v)
//   users.tsv     user, terms (genre=weight|...), seen (id|id|...), features (k=v;...)
//   train.tsv, test.tsv, holdout.tsv
//                 user, item, rating, label, time, terms (point-in-time, genre=weight|...)
// Plain TSV with a header line so that the files can be inspected, produced
// by other tools, or joined in a notebook; ids are kept as text because the
// served ids are strings.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "reco_offline/dataset.hpp"
#include "reco_offline/genre_terms.hpp"

namespace reco_offline {

using NameValue = std::pair<std::string, std::string>;
using WeightedTerm = std::pair<std::string, float>;

struct ItemRecord {
  std::string id;
  std::string title;
  std::vector<std::string> terms;
  double popularity = 0;
  int64_t time = 0;
  std::vector<NameValue> features;
};

struct UserRecord {
  std::string id;
  std::vector<WeightedTerm> terms;
  std::vector<std::string> seen;
  std::vector<NameValue> features;
};

void write_items(const std::string& path, const std::vector<ItemRecord>& items);
std::vector<ItemRecord> read_items(const std::string& path);

void write_users(const std::string& path, const std::vector<UserRecord>& users);
std::vector<UserRecord> read_users(const std::string& path);

// Rows with their terms (names from `genre_names`); with `terms` null the column is left empty.
// The label column must agree with the rating (label = rating > 3) when read back.
void write_rating_rows(const std::string& path, const std::vector<Rating>& rows, const TermsTable* terms,
                       const std::vector<std::string>& genre_names);
// Reads rows; the terms column is parsed only when `terms` is given.
std::vector<Rating> read_rating_rows(const std::string& path, std::vector<std::vector<WeightedTerm>>* terms = nullptr);

}  // namespace reco_offline
