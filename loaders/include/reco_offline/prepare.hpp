// From a data set to what is served: split it in time, compute point-in-time
// terms for every row, and derive the online state of items and users as of
// the start of each user's held-out part.
//   item: terms = genres; popularity = ratings before the held-out parts;
//         time = its latest such rating (recency of interest; release years
//         before 1970 would be negative unix times); features year, genre.
//   user: terms = genre weights of the window ending where the held-out part
//         starts; seen = every item rated before it; features gender, age,
//         occupation (those the data set has).
#pragma once

#include "reco_offline/dataset.hpp"
#include "reco_offline/genre_terms.hpp"
#include "reco_offline/records.hpp"
#include "reco_offline/time_split.hpp"

namespace reco_offline {

struct PrepareConfig {
  SplitConfig split;
  size_t window = 30;  // ratings per terms window
};

struct Prepared {
  TimeSplit split;
  TermsTable train_terms, test_terms, holdout_terms;
  std::vector<std::string> genre_names;
  std::vector<ItemRecord> items;
  std::vector<UserRecord> users;
};

Prepared prepare(const Dataset& data, const PrepareConfig& config);

// Writes items.tsv, users.tsv, train.tsv, test.tsv, holdout.tsv into `dir`.
void write_prepared(const Prepared& prepared, const std::string& dir);

}  // namespace reco_offline
