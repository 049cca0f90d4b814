// Dataset helpers: the MovieLens genre list and a consistency check run after
// every reader, so that a ratings file pointing at unknown movies is caught
// before any training or loading.
#include "reco_offline/dataset.hpp"

#include <unordered_set>

#include "reco_offline/text_input.hpp"

namespace reco_offline {

const std::vector<std::string>& movielens_genres() {
  static const std::vector<std::string> genres = {
      "Action", "Adventure", "Animation", "Children's", "Comedy",   "Crime",
      "Documentary", "Drama", "Fantasy",  "Film-Noir",  "Horror",  "Musical",
      "Mystery", "Romance",  "Sci-Fi",   "Thriller",   "War",     "Western"};
  return genres;
}

void validate(const Dataset& data, const std::string& source) {
  std::unordered_set<Id> users, items;
  for (const auto& u : data.users) {
    if (!users.insert(u.id).second) throw DataError(source + ": user " + std::to_string(u.id) + " listed twice");
  }
  for (const auto& it : data.items) {
    if (!items.insert(it.id).second) throw DataError(source + ": item " + std::to_string(it.id) + " listed twice");
  }
  for (const auto& r : data.ratings) {
    if (!users.empty() && !users.count(r.user)) {
      throw DataError(source + ": rating of unknown user " + std::to_string(r.user));
    }
    if (!items.empty() && !items.count(r.item)) {
      throw DataError(source + ": rating of unknown item " + std::to_string(r.item));
    }
  }
}

}  // namespace reco_offline
