// Item-to-item metrics: how good are the neighbour lists of RECO.SIMILAR (or any list of
// "items like this one")? Three questions, each answerable for a popularity list too:
//   next-item hit rate@K  for each held-out user, the list of their last item before the
//                         held-out part: does it hold one of the items they rated next
//                         (their held-out items)? Also for the very next one alone, and
//                         with the user's seen items skipped (what a page showing "more
//                         like this" to that user would do);
//   genre overlap         mean Jaccard of the query's and each neighbour's genres, and the
//                         share of neighbours sharing at least one genre with the query;
//   coverage              distinct items over all lists / items, and the share of all list
//                         slots taken by the 10 most frequent items (the "same few titles
//                         head every list" symptom).
// Plain functions of ids and lists, so that tests can plant data with known answers.
#pragma once

#include <functional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "reco_offline/dataset.hpp"

namespace reco_offline {

// One held-out user's item-to-item case.
struct NextItemCase {
  std::string user;
  std::string last;                       // last item rated before the held-out part
  std::string next;                       // the first held-out item
  std::unordered_set<std::string> later;  // every held-out item
  std::unordered_set<std::string> seen;   // every item rated before the held-out part
};

// Cases from the rows before the held-out part (train and test, in file order) and the
// held-out rows: "last" is the latest row by time (ties: the later row), "next" the
// earliest held-out row (ties: the earlier row). Users without both are skipped.
std::vector<NextItemCase> next_item_cases(const std::vector<Rating>& before, const std::vector<Rating>& holdout);

struct NextItemStats {
  size_t users = 0;
  double hit_rate = 0;         // a held-out item among the first K
  double next_hit_rate = 0;    // the first held-out item among the first K
  double unseen_hit_rate = 0;  // a held-out item among the first K not seen (nor the query)
};

// `list_of(item)`: the neighbour list of an item, best first (may be longer than K: the
// unseen variant reads past seen items); cases whose last item has no list are skipped.
NextItemStats next_item_hits(const std::vector<NextItemCase>& cases,
                             const std::function<const std::vector<std::string>*(const std::string&)>& list_of,
                             size_t k);

// |a ∩ b| / |a ∪ b|; 0 when both are empty.
double genre_jaccard(const std::vector<std::string>& a, const std::vector<std::string>& b);

struct ListStats {
  size_t lists = 0;
  double genre_jaccard = 0;    // mean over (query, neighbour) pairs
  double share_a_genre = 0;    // neighbours sharing at least one genre with their query
  size_t distinct = 0;         // items appearing in some list's first K
  double coverage = 0;         // distinct / catalog_items
  double top10_share = 0;      // list slots taken by the 10 most frequent items
};

// Over every (query, list) given; only the first K of each list count.
ListStats list_stats(const std::unordered_map<std::string, std::vector<std::string>>& lists,
                     const std::unordered_map<std::string, std::vector<std::string>>& genres, size_t k,
                     size_t catalog_items);

// Share of the exact lists' first K found in the approximate lists' first K, over the
// queries both hold (recall@K of a graph search against an exact scan).
double list_recall(const std::unordered_map<std::string, std::vector<std::string>>& approximate,
                   const std::unordered_map<std::string, std::vector<std::string>>& exact, size_t k);

}  // namespace reco_offline
