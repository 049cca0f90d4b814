// Readers for the MovieLens releases people have on disk, and a writer for the
// 1M layout (the synthetic generator writes that layout, so the demo exercises
// exactly the reader a real download goes through).
//   1M (and 10M):   ratings.dat, users.dat, movies.dat        '::'-separated
//   100K:           u.data (tab), u.user, u.item (|)
//   latest/20M/25M: ratings.csv, movies.csv                    CSV with header
// Every reader throws DataError("file:line: ...") on the first malformed line.
#pragma once

#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

#include "reco_offline/dataset.hpp"

namespace reco_offline {

enum class MovieLensLayout { ML1M, ML100K, Latest };

// Which layout a directory holds, judged by its file names; nullopt if none.
std::optional<MovieLensLayout> detect_layout(const std::string& dir);
const char* layout_name(MovieLensLayout layout);

// Reads a whole directory (detecting the layout) and checks that every rating
// refers to a listed user and item.
Dataset read_movielens(const std::string& dir);

// Single files; `known_users`/`known_items` (if given) make a rating of an
// unlisted id an error on that line.
std::vector<User> read_ml1m_users(const std::string& path);
std::vector<Item> read_ml1m_movies(const std::string& path);
std::vector<Rating> read_ml1m_ratings(const std::string& path, const std::unordered_set<Id>* known_users = nullptr,
                                      const std::unordered_set<Id>* known_items = nullptr);

std::vector<User> read_ml100k_users(const std::string& path);
std::vector<Item> read_ml100k_items(const std::string& path);
std::vector<Rating> read_ml100k_ratings(const std::string& path, const std::unordered_set<Id>* known_users = nullptr,
                                        const std::unordered_set<Id>* known_items = nullptr);

std::vector<Item> read_latest_movies(const std::string& path);
std::vector<Rating> read_latest_ratings(const std::string& path, const std::unordered_set<Id>* known_items = nullptr);

// "Toy Story (1995)" -> 1995; 0 if the title carries no year.
int year_from_title(std::string_view title);

// Writes users.dat, movies.dat and ratings.dat in the 1M layout.
void write_ml1m(const Dataset& data, const std::string& dir);

}  // namespace reco_offline
