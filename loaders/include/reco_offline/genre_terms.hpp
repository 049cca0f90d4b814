// Point-in-time genre preferences ("terms") of users. The weight of genre g at
// moment t is the share of the user's last `window` ratings strictly before t
// that were likes (rating > 3) of a film of genre g. Strictly before: a row's
// own rating, later ratings and ratings in the same second (whose order is
// arbitrary) never feed its features, so training rows carry only what was
// knowable at their time. The window ending at the start of the held-out part
// becomes the user's TERMS online.
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <unordered_map>
#include <vector>

#include "reco_offline/dataset.hpp"

namespace reco_offline {

// Genres of every item, as small indices into a shared name list.
class GenreIndex {
 public:
  explicit GenreIndex(const std::vector<Item>& items);
  const std::vector<std::string>& names() const { return names_; }
  // Genre indices of an item; empty for an unknown item.
  std::pair<const uint16_t*, const uint16_t*> genres_of(Id item) const;

 private:
  std::vector<std::string> names_;
  std::unordered_map<Id, std::pair<uint32_t, uint32_t>> range_;
  std::vector<uint16_t> genres_;
};

struct TermWeight {
  uint16_t genre;
  float weight;
  bool operator==(const TermWeight&) const = default;
};

// One list of TermWeight per row, stored flat (rows x a handful of genres).
struct TermsTable {
  std::vector<uint32_t> offsets{0};
  std::vector<TermWeight> entries;
  size_t rows() const { return offsets.size() - 1; }
  std::vector<TermWeight> row(size_t r) const {
    return {entries.begin() + offsets[r], entries.begin() + offsets[r + 1]};
  }
};

// Terms of a user at `moment` from `history` (that user's ratings, sorted by
// time): the last `window` ratings with time < moment. Genres in index order.
std::vector<TermWeight> terms_before(const std::vector<Rating>& history, int64_t moment, const GenreIndex& genres,
                                     size_t window);

// Terms for every row of `rows` as of the row's own time, from the users'
// full histories. Both inputs sorted by (user, time); each row's user
// must appear in `history`. Sliding window: O(total ratings x genres).
TermsTable point_in_time_terms(const std::vector<Rating>& rows, const std::vector<Rating>& history,
                               const GenreIndex& genres, size_t window);

}  // namespace reco_offline
