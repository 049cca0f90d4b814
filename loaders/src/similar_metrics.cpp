// Item-to-item metrics (see similar_metrics.hpp).
#include "reco_offline/similar_metrics.hpp"

#include <algorithm>
#include <map>

namespace reco_offline {

std::vector<NextItemCase> next_item_cases(const std::vector<Rating>& before, const std::vector<Rating>& holdout) {
  struct Pick {
    const Rating* last = nullptr;
    const Rating* next = nullptr;
  };
  std::map<Id, Pick> pick;
  std::unordered_map<Id, std::unordered_set<std::string>> seen, later;
  for (const Rating& r : before) {
    Pick& p = pick[r.user];
    if (!p.last || r.time >= p.last->time) p.last = &r;
    seen[r.user].insert(std::to_string(r.item));
  }
  for (const Rating& r : holdout) {
    Pick& p = pick[r.user];
    if (!p.next || r.time < p.next->time) p.next = &r;
    later[r.user].insert(std::to_string(r.item));
  }
  std::vector<NextItemCase> out;
  for (const auto& [user, p] : pick) {
    if (!p.last || !p.next) continue;
    NextItemCase c;
    c.user = std::to_string(user);
    c.last = std::to_string(p.last->item);
    c.next = std::to_string(p.next->item);
    c.later = std::move(later[user]);
    c.seen = std::move(seen[user]);
    out.push_back(std::move(c));
  }
  return out;
}

NextItemStats next_item_hits(const std::vector<NextItemCase>& cases,
                             const std::function<const std::vector<std::string>*(const std::string&)>& list_of,
                             size_t k) {
  NextItemStats s;
  double hits = 0, next_hits = 0, unseen_hits = 0;
  for (const NextItemCase& c : cases) {
    const std::vector<std::string>* list = list_of(c.last);
    if (!list) continue;
    ++s.users;
    bool hit = false, next_hit = false, unseen_hit = false;
    for (size_t i = 0; i < list->size() && i < k; ++i) {
      hit = hit || c.later.count((*list)[i]);
      next_hit = next_hit || (*list)[i] == c.next;
    }
    size_t taken = 0;
    for (const std::string& id : *list) {
      if (taken == k) break;
      if (id == c.last || c.seen.count(id)) continue;
      ++taken;
      unseen_hit = unseen_hit || c.later.count(id);
    }
    hits += hit;
    next_hits += next_hit;
    unseen_hits += unseen_hit;
  }
  if (s.users) {
    s.hit_rate = hits / s.users;
    s.next_hit_rate = next_hits / s.users;
    s.unseen_hit_rate = unseen_hits / s.users;
  }
  return s;
}

double genre_jaccard(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  std::unordered_set<std::string> sa(a.begin(), a.end()), sb(b.begin(), b.end());
  size_t common = 0;
  for (const auto& g : sa) common += sb.count(g);
  const size_t uni = sa.size() + sb.size() - common;
  return uni ? static_cast<double>(common) / static_cast<double>(uni) : 0.0;
}

ListStats list_stats(const std::unordered_map<std::string, std::vector<std::string>>& lists,
                     const std::unordered_map<std::string, std::vector<std::string>>& genres, size_t k,
                     size_t catalog_items) {
  static const std::vector<std::string> kNone;
  const auto genres_of = [&](const std::string& id) -> const std::vector<std::string>& {
    auto it = genres.find(id);
    return it == genres.end() ? kNone : it->second;
  };
  ListStats s;
  std::unordered_map<std::string, size_t> count;
  double jaccard = 0, shared = 0;
  size_t pairs = 0, slots = 0;
  for (const auto& [query, list] : lists) {
    ++s.lists;
    const auto& gq = genres_of(query);
    for (size_t i = 0; i < list.size() && i < k; ++i) {
      const auto& gn = genres_of(list[i]);
      const double j = genre_jaccard(gq, gn);
      jaccard += j;
      shared += j > 0;
      ++pairs;
      ++count[list[i]];
      ++slots;
    }
  }
  if (pairs) {
    s.genre_jaccard = jaccard / pairs;
    s.share_a_genre = shared / pairs;
  }
  s.distinct = count.size();
  s.coverage = catalog_items ? static_cast<double>(s.distinct) / static_cast<double>(catalog_items) : 0.0;
  std::vector<size_t> counts;
  for (const auto& [id, n] : count) counts.push_back(n);
  std::sort(counts.begin(), counts.end(), std::greater<>());
  size_t top = 0;
  for (size_t i = 0; i < counts.size() && i < 10; ++i) top += counts[i];
  s.top10_share = slots ? static_cast<double>(top) / static_cast<double>(slots) : 0.0;
  return s;
}

double list_recall(const std::unordered_map<std::string, std::vector<std::string>>& approximate,
                   const std::unordered_map<std::string, std::vector<std::string>>& exact, size_t k) {
  size_t found = 0, total = 0;
  for (const auto& [query, want] : exact) {
    auto it = approximate.find(query);
    if (it == approximate.end()) continue;
    std::unordered_set<std::string> got(it->second.begin(), it->second.begin() + std::min(k, it->second.size()));
    for (size_t i = 0; i < want.size() && i < k; ++i) {
      ++total;
      found += got.count(want[i]);
    }
  }
  return total ? static_cast<double>(found) / static_cast<double>(total) : 0.0;
}

}  // namespace reco_offline
