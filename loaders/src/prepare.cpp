// Split + point-in-time terms + online records (see prepare.hpp).
#include "reco_offline/prepare.hpp"

#include <algorithm>
#include <filesystem>
#include <limits>
#include <unordered_map>

namespace reco_offline {

namespace {

// Every rating, per user, sorted by (user, time); ties keep the split's order
// (train, test, held out; within a part the file's), so positions match the split.
std::vector<Rating> merge_history(const TimeSplit& s) {
  std::vector<Rating> all;
  all.reserve(s.train.size() + s.test.size() + s.holdout.size());
  all.insert(all.end(), s.train.begin(), s.train.end());
  all.insert(all.end(), s.test.begin(), s.test.end());
  all.insert(all.end(), s.holdout.begin(), s.holdout.end());
  sort_by_user_time(all);
  return all;
}

std::vector<WeightedTerm> named(const std::vector<TermWeight>& terms, const std::vector<std::string>& names) {
  std::vector<WeightedTerm> out;
  out.reserve(terms.size());
  for (const auto& t : terms) out.emplace_back(names[t.genre], t.weight);
  return out;
}

}  // namespace

Prepared prepare(const Dataset& data, const PrepareConfig& config) {
  Prepared p;
  p.split = split_by_time(data.ratings, config.split);
  const GenreIndex genres(data.items);
  p.genre_names = genres.names();
  const std::vector<Rating> history = merge_history(p.split);
  p.train_terms = point_in_time_terms(p.split.train, history, genres, config.window);
  p.test_terms = point_in_time_terms(p.split.test, history, genres, config.window);
  p.holdout_terms = point_in_time_terms(p.split.holdout, history, genres, config.window);

  // Item state from everything before the held-out parts.
  std::unordered_map<Id, std::pair<uint64_t, int64_t>> item_stats;  // count, latest time
  for (const auto* part : {&p.split.train, &p.split.test}) {
    for (const auto& r : *part) {
      auto& s = item_stats[r.item];
      ++s.first;
      s.second = std::max(s.second, r.time);
    }
  }
  p.items.reserve(data.items.size());
  for (const auto& it : data.items) {
    ItemRecord rec;
    rec.id = std::to_string(it.id);
    rec.title = it.title;
    rec.terms = it.genres;
    const auto s = item_stats.find(it.id);
    if (s != item_stats.end()) {
      rec.popularity = static_cast<double>(s->second.first);
      rec.time = s->second.second;
    }
    if (it.year > 0) rec.features.emplace_back("year", std::to_string(it.year));
    if (!it.genres.empty()) rec.features.emplace_back("genre", it.genres.front());
    p.items.push_back(std::move(rec));
  }

  // User state as of the first held-out rating.
  std::unordered_map<Id, const User*> user_by_id;
  for (const auto& u : data.users) user_by_id.emplace(u.id, &u);
  std::unordered_map<Id, int64_t> holdout_start;
  for (const auto& r : p.split.holdout) {
    const auto [it, inserted] = holdout_start.emplace(r.user, r.time);
    if (!inserted) it->second = std::min(it->second, r.time);
  }
  size_t h = 0;
  std::vector<Rating> user_history;
  std::vector<Id> user_order;
  for (const auto& u : data.users) user_order.push_back(u.id);
  std::sort(user_order.begin(), user_order.end());
  for (Id uid : user_order) {
    while (h < history.size() && history[h].user < uid) ++h;
    user_history.clear();
    while (h < history.size() && history[h].user == uid) user_history.push_back(history[h++]);
    UserRecord rec;
    rec.id = std::to_string(uid);
    const auto start = holdout_start.find(uid);
    const int64_t moment = start != holdout_start.end() ? start->second : std::numeric_limits<int64_t>::max();
    rec.terms = named(terms_before(user_history, moment, genres, config.window), p.genre_names);
    // Seen: the positional pre-holdout part (train + test), in time order.
    const size_t held = std::min(config.split.holdout, user_history.size());
    for (size_t k = 0; k + held < user_history.size(); ++k) rec.seen.push_back(std::to_string(user_history[k].item));
    const User* u = user_by_id.at(uid);
    if (!u->gender.empty()) rec.features.emplace_back("gender", u->gender);
    if (u->age > 0) rec.features.emplace_back("age", std::to_string(u->age));
    if (!u->occupation.empty()) rec.features.emplace_back("occupation", u->occupation);
    p.users.push_back(std::move(rec));
  }
  return p;
}

void write_prepared(const Prepared& p, const std::string& dir) {
  std::filesystem::create_directories(dir);
  const auto path = [&](const char* name) { return (std::filesystem::path(dir) / name).string(); };
  write_items(path("items.tsv"), p.items);
  write_users(path("users.tsv"), p.users);
  write_rating_rows(path("train.tsv"), p.split.train, &p.train_terms, p.genre_names);
  write_rating_rows(path("test.tsv"), p.split.test, &p.test_terms, p.genre_names);
  write_rating_rows(path("holdout.tsv"), p.split.holdout, &p.holdout_terms, p.genre_names);
}

}  // namespace reco_offline
