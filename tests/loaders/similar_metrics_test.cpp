// Item-to-item metrics (similar_metrics.hpp) on planted cases whose answers are worked out
// by hand: a list that holds the next item scores, one that does not, seen items skipped
// only by the unseen variant, genre overlap, coverage and the top-10 share.
#include <gtest/gtest.h>

#include "reco_offline/similar_metrics.hpp"

namespace {

using reco_offline::Rating;

TEST(SimilarMetrics, CasesTakeTheLastItemBeforeAndTheFirstHeldOut) {
  const std::vector<Rating> before = {{1, 10, 100, 4}, {1, 11, 300, 4}, {1, 12, 200, 4}, {2, 20, 50, 3},
                                      {2, 21, 50, 3}, {3, 30, 10, 5}};
  const std::vector<Rating> holdout = {{1, 14, 500, 4}, {1, 13, 400, 4}, {2, 22, 60, 2}};
  auto cases = reco_offline::next_item_cases(before, holdout);
  ASSERT_EQ(cases.size(), 2u) << "user 3 has nothing held out";
  EXPECT_EQ(cases[0].user, "1");
  EXPECT_EQ(cases[0].last, "11");
  EXPECT_EQ(cases[0].next, "13");
  EXPECT_EQ(cases[0].later, (std::unordered_set<std::string>{"13", "14"}));
  EXPECT_EQ(cases[0].seen.size(), 3u);
  EXPECT_EQ(cases[1].last, "21") << "a tie in time goes to the later row";
}

TEST(SimilarMetrics, HitRatesOnPlantedLists) {
  std::vector<reco_offline::NextItemCase> cases(3);
  cases[0] = {"u1", "a", "x", {"x", "y"}, {"a", "s"}};
  cases[1] = {"u2", "b", "z", {"z"}, {"b"}};
  cases[2] = {"u3", "nolist", "x", {"x"}, {}};
  std::unordered_map<std::string, std::vector<std::string>> lists = {
      {"a", {"s", "q", "y", "x"}},  // y at rank 3, x (the very next) at rank 4; s is seen
      {"b", {"q", "r", "t", "z"}},  // z at rank 4
  };
  auto list_of = [&](const std::string& id) -> const std::vector<std::string>* {
    auto it = lists.find(id);
    return it == lists.end() ? nullptr : &it->second;
  };
  auto at3 = reco_offline::next_item_hits(cases, list_of, 3);
  EXPECT_EQ(at3.users, 2u) << "a case without a list is skipped";
  EXPECT_DOUBLE_EQ(at3.hit_rate, 0.5);       // u1 by y; u2 misses
  EXPECT_DOUBLE_EQ(at3.next_hit_rate, 0.0);  // x is 4th
  // Skipping the seen s moves x into the first 3 unseen for u1; u2 still misses.
  EXPECT_DOUBLE_EQ(at3.unseen_hit_rate, 0.5);
  auto at4 = reco_offline::next_item_hits(cases, list_of, 4);
  EXPECT_DOUBLE_EQ(at4.hit_rate, 1.0);
  EXPECT_DOUBLE_EQ(at4.next_hit_rate, 1.0);
  auto at1 = reco_offline::next_item_hits(cases, list_of, 1);
  EXPECT_DOUBLE_EQ(at1.hit_rate, 0.0);
  EXPECT_DOUBLE_EQ(at1.unseen_hit_rate, 0.0);  // first unseen of u1 is q
}

TEST(SimilarMetrics, GenreOverlapAndCoverage) {
  EXPECT_DOUBLE_EQ(reco_offline::genre_jaccard({"Comedy", "Drama"}, {"Drama"}), 0.5);
  EXPECT_DOUBLE_EQ(reco_offline::genre_jaccard({"Comedy"}, {"Horror"}), 0.0);
  EXPECT_DOUBLE_EQ(reco_offline::genre_jaccard({}, {}), 0.0);
  const std::unordered_map<std::string, std::vector<std::string>> genres = {
      {"a", {"Comedy"}}, {"b", {"Comedy", "Drama"}}, {"c", {"Horror"}}, {"d", {"Drama"}}};
  // a's list: b (J 0.5), c (0); c's list: a (0), b (0), and d beyond K = 2.
  const std::unordered_map<std::string, std::vector<std::string>> lists = {{"a", {"b", "c"}},
                                                                           {"c", {"a", "b", "d"}}};
  auto s = reco_offline::list_stats(lists, genres, 2, 8);
  EXPECT_EQ(s.lists, 2u);
  EXPECT_DOUBLE_EQ(s.genre_jaccard, 0.5 / 4);
  EXPECT_DOUBLE_EQ(s.share_a_genre, 1.0 / 4);
  EXPECT_EQ(s.distinct, 3u) << "d is past K";
  EXPECT_DOUBLE_EQ(s.coverage, 3.0 / 8);
  EXPECT_DOUBLE_EQ(s.top10_share, 1.0) << "fewer than 10 distinct items take every slot";
  // One item in every list: the top-10 share of 20 lists of 2 over 21 distinct items.
  std::unordered_map<std::string, std::vector<std::string>> same;
  for (int i = 0; i < 20; ++i) same["q" + std::to_string(i)] = {"hit", "n" + std::to_string(i)};
  auto t = reco_offline::list_stats(same, genres, 2, 100);
  EXPECT_EQ(t.distinct, 21u);
  EXPECT_DOUBLE_EQ(t.top10_share, (20.0 + 9.0) / 40.0);
}

TEST(SimilarMetrics, ListRecall) {
  const std::unordered_map<std::string, std::vector<std::string>> exact = {{"a", {"1", "2", "3"}},
                                                                           {"b", {"4", "5", "6"}}};
  const std::unordered_map<std::string, std::vector<std::string>> approx = {{"a", {"3", "2", "9"}},
                                                                            {"b", {"4", "5", "6"}}};
  EXPECT_DOUBLE_EQ(reco_offline::list_recall(approx, exact, 3), 5.0 / 6);
  EXPECT_DOUBLE_EQ(reco_offline::list_recall(approx, exact, 1), 1.0 / 2);
  EXPECT_DOUBLE_EQ(reco_offline::list_recall({}, exact, 3), 0.0);
}

}  // namespace
