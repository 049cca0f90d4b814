// Point-in-time genre terms (see genre_terms.hpp).
#include "reco_offline/genre_terms.hpp"

#include <algorithm>
#include <set>
#include <stdexcept>

namespace reco_offline {

GenreIndex::GenreIndex(const std::vector<Item>& items) {
  names_ = movielens_genres();
  std::set<std::string> extra;
  for (const auto& it : items)
    for (const auto& g : it.genres)
      if (std::find(names_.begin(), names_.end(), g) == names_.end()) extra.insert(g);
  names_.insert(names_.end(), extra.begin(), extra.end());
  if (names_.size() > 65535) throw std::invalid_argument("too many genres");
  std::unordered_map<std::string, uint16_t> code;
  for (size_t i = 0; i < names_.size(); ++i) code.emplace(names_[i], static_cast<uint16_t>(i));
  range_.reserve(items.size() * 2);
  for (const auto& it : items) {
    const auto begin = static_cast<uint32_t>(genres_.size());
    for (const auto& g : it.genres) genres_.push_back(code.at(g));
    std::sort(genres_.begin() + begin, genres_.end());
    genres_.erase(std::unique(genres_.begin() + begin, genres_.end()), genres_.end());
    range_[it.id] = {begin, static_cast<uint32_t>(genres_.size())};
  }
}

std::pair<const uint16_t*, const uint16_t*> GenreIndex::genres_of(Id item) const {
  const auto it = range_.find(item);
  if (it == range_.end()) return {nullptr, nullptr};
  return {genres_.data() + it->second.first, genres_.data() + it->second.second};
}

namespace {

// Running per-genre like counts over a window [begin, end) of one history.
class WindowCounts {
 public:
  WindowCounts(const GenreIndex& genres) : genres_(genres), likes_(genres.names().size(), 0) {}
  void add(const Rating& r, int sign) {
    if (!is_positive(r)) return;
    auto [b, e] = genres_.genres_of(r.item);
    for (; b != e; ++b) likes_[*b] += sign;
  }
  void emit(size_t size, std::vector<TermWeight>& out) const {
    if (size == 0) return;
    for (size_t g = 0; g < likes_.size(); ++g) {
      if (likes_[g] > 0) out.push_back({static_cast<uint16_t>(g), static_cast<float>(likes_[g]) / size});
    }
  }

 private:
  const GenreIndex& genres_;
  std::vector<int> likes_;
};

}  // namespace

std::vector<TermWeight> terms_before(const std::vector<Rating>& history, int64_t moment, const GenreIndex& genres,
                                     size_t window) {
  size_t end = 0;
  while (end < history.size() && history[end].time < moment) ++end;
  const size_t begin = end > window ? end - window : 0;
  WindowCounts counts(genres);
  for (size_t i = begin; i < end; ++i) counts.add(history[i], +1);
  std::vector<TermWeight> out;
  counts.emit(end - begin, out);
  return out;
}

TermsTable point_in_time_terms(const std::vector<Rating>& rows, const std::vector<Rating>& history,
                               const GenreIndex& genres, size_t window) {
  TermsTable table;
  table.offsets.reserve(rows.size() + 1);
  table.entries.reserve(rows.size() * 4);
  size_t h = 0;  // start of the current user's history
  size_t r = 0;
  std::vector<TermWeight> scratch;
  while (r < rows.size()) {
    const Id user = rows[r].user;
    while (h < history.size() && history[h].user < user) ++h;
    if (h >= history.size() || history[h].user != user) {
      throw std::invalid_argument("row of user " + std::to_string(user) + " has no history");
    }
    size_t h_end = h;
    while (h_end < history.size() && history[h_end].user == user) ++h_end;

    WindowCounts counts(genres);
    size_t win_begin = h, win_end = h;
    int64_t last_time = std::numeric_limits<int64_t>::min();
    for (; r < rows.size() && rows[r].user == user; ++r) {
      const int64_t t = rows[r].time;
      if (t < last_time) throw std::invalid_argument("rows are not sorted by (user, time)");
      last_time = t;
      while (win_end < h_end && history[win_end].time < t) counts.add(history[win_end++], +1);
      while (win_end - win_begin > window) counts.add(history[win_begin++], -1);
      scratch.clear();
      counts.emit(win_end - win_begin, scratch);
      table.entries.insert(table.entries.end(), scratch.begin(), scratch.end());
      table.offsets.push_back(static_cast<uint32_t>(table.entries.size()));
    }
    h = h_end;
  }
  return table;
}

}  // namespace reco_offline
