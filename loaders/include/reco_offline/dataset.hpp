// The in-memory shape of a ratings data set, whatever file format it came from:
// users with demographics, items with title/year/genres, timestamped ratings.
// Ids stay the data set's own integer ids (they are what gets served); dense
// indices are built only where a dense array is needed (training, splitting).
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

namespace reco_offline {

using Id = uint32_t;

struct User {
  Id id = 0;
  std::string gender;      // "M"/"F"; empty if the data set has no users file
  int age = 0;             // MovieLens-1M age bucket (1, 18, 25, 35, 45, 50, 56) or raw age
  std::string occupation;  // code or name as the source file has it
  std::string zip;
};

struct Item {
  Id id = 0;
  std::string title;  // UTF-8
  int year = 0;       // 0 when unknown
  std::vector<std::string> genres;
};

struct Rating {
  Id user = 0;
  Id item = 0;
  int64_t time = 0;  // unix seconds
  float rating = 0;  // 1-5 (half stars in the newer MovieLens releases)
};

// The original pipeline's label: a rating above 3 is a like.
inline bool is_positive(const Rating& r) { return r.rating > 3.0f; }

struct Dataset {
  std::vector<User> users;
  std::vector<Item> items;
  std::vector<Rating> ratings;
};

// The 18 genres of MovieLens 1M, in the order of its README.
const std::vector<std::string>& movielens_genres();

// id -> position in a vector of records.
template <class Record>
std::unordered_map<Id, size_t> index_by_id(const std::vector<Record>& records) {
  std::unordered_map<Id, size_t> index;
  index.reserve(records.size() * 2);
  for (size_t i = 0; i < records.size(); ++i) index.emplace(records[i].id, i);
  return index;
}

// Checks that ratings refer to known users/items (when those lists are
// non-empty) and that ratings are in range; throws DataError naming the first problem.
void validate(const Dataset& data, const std::string& source);

}  // namespace reco_offline
