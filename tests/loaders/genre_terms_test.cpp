// Point-in-time terms: hand-computed windows, and on generated data the
// no-leakage property itself: a row's terms equal those computed from the
// user's strictly earlier ratings, and rewriting the row's own rating and
// everything after it leaves them unchanged. Also the online state written
// by prepare(): terms at the start of the held-out part, seen = everything before.
#include <gtest/gtest.h>

#include <map>

#include "reco_offline/genre_terms.hpp"
#include "reco_offline/prepare.hpp"
#include "reco_offline/synthetic.hpp"

using namespace reco_offline;

namespace {

std::vector<Item> three_items() {
  return {Item{1, "A (1990)", 1990, {"Comedy"}}, Item{2, "B (1991)", 1991, {"Drama", "Comedy"}},
          Item{3, "C (1992)", 1992, {"Horror"}}};
}

std::map<std::string, float> as_map(const std::vector<TermWeight>& t, const GenreIndex& g) {
  std::map<std::string, float> m;
  for (const auto& x : t) m[g.names()[x.genre]] = x.weight;
  return m;
}

// Reference: last `window` ratings with time < moment, straight from the definition.
std::vector<TermWeight> brute_force(const std::vector<Rating>& history, int64_t moment, const GenreIndex& g,
                                    size_t window) {
  std::vector<Rating> before;
  for (const auto& r : history)
    if (r.time < moment) before.push_back(r);
  if (before.size() > window) before.erase(before.begin(), before.end() - static_cast<long>(window));
  std::vector<int> likes(g.names().size(), 0);
  for (const auto& r : before) {
    if (!is_positive(r)) continue;
    auto [b, e] = g.genres_of(r.item);
    for (; b != e; ++b) ++likes[*b];
  }
  std::vector<TermWeight> out;
  for (size_t k = 0; k < likes.size(); ++k)
    if (likes[k] > 0) out.push_back({static_cast<uint16_t>(k), static_cast<float>(likes[k]) / before.size()});
  return out;
}

}  // namespace

TEST(GenreTerms, HandComputedWindows) {
  const GenreIndex g(three_items());
  const std::vector<Rating> h = {{1, 1, 10, 5}, {1, 2, 20, 4}, {1, 3, 20, 5}, {1, 3, 30, 2}, {1, 2, 40, 5}};
  EXPECT_TRUE(terms_before(h, 10, g, 3).empty());
  EXPECT_EQ(as_map(terms_before(h, 20, g, 3), g), (std::map<std::string, float>{{"Comedy", 1.0f}}));
  // Same-second ratings (t=20) are not "before" each other.
  EXPECT_EQ(as_map(terms_before(h, 30, g, 3), g),
            (std::map<std::string, float>{{"Comedy", 2.0f / 3}, {"Drama", 1.0f / 3}, {"Horror", 1.0f / 3}}));
  // Window of 3 at t=40: ratings 2..4; the 2-star Horror is a dislike.
  EXPECT_EQ(as_map(terms_before(h, 40, g, 3), g),
            (std::map<std::string, float>{{"Comedy", 1.0f / 3}, {"Drama", 1.0f / 3}, {"Horror", 1.0f / 3}}));

  const TermsTable t = point_in_time_terms(h, h, g, 3);
  ASSERT_EQ(t.rows(), 5u);
  EXPECT_TRUE(t.row(0).empty());
  EXPECT_EQ(t.row(1), t.row(2));  // both at t=20
  EXPECT_EQ(as_map(t.row(1), g), (std::map<std::string, float>{{"Comedy", 1.0f}}));
  EXPECT_EQ(t.row(3), terms_before(h, 30, g, 3));
  EXPECT_EQ(t.row(4), terms_before(h, 40, g, 3));
}

class GeneratedTerms : public ::testing::Test {
 protected:
  void SetUp() override {
    SyntheticConfig c;
    c.users = 120;
    c.items = 200;
    c.ratings = 15000;
    data = generate_synthetic(c);
    history = data.ratings;
    sort_by_user_time(history);
  }
  std::vector<Rating> user_history(Id u, const std::vector<Rating>& all) const {
    std::vector<Rating> out;
    for (const auto& r : all)
      if (r.user == u) out.push_back(r);
    return out;
  }
  Dataset data;
  std::vector<Rating> history;
  static constexpr size_t kWindow = 20;
};

TEST_F(GeneratedTerms, EveryRowSeesOnlyStrictlyEarlierRatings) {
  const GenreIndex g(data.items);
  const TimeSplit s = split_by_time(data.ratings, {});
  const TermsTable t = point_in_time_terms(s.train, history, g, kWindow);
  ASSERT_EQ(t.rows(), s.train.size());
  std::map<Id, std::vector<Rating>> by_user;
  for (const auto& r : history) by_user[r.user].push_back(r);
  size_t non_empty = 0;
  for (size_t i = 0; i < s.train.size(); ++i) {
    const auto expected = brute_force(by_user[s.train[i].user], s.train[i].time, g, kWindow);
    ASSERT_EQ(t.row(i), expected) << "row " << i;
    non_empty += expected.empty() ? 0 : 1;
  }
  EXPECT_GT(non_empty, s.train.size() / 2);
}

TEST_F(GeneratedTerms, RewritingTheRowAndTheFutureChangesNothing) {
  const GenreIndex g(data.items);
  const TimeSplit s = split_by_time(data.ratings, {});
  const TermsTable original = point_in_time_terms(s.train, history, g, kWindow);
  // For a sample of rows: flip every rating at or after the row's time (including its
  // own) and move those ratings to other items; the row's terms must not move.
  size_t tested = 0, tested_with_terms = 0;
  for (size_t i = 7; i < s.train.size(); i += 997) {
    const Rating row = s.train[i];
    std::vector<Rating> changed = history;
    for (auto& r : changed) {
      if (r.user != row.user || r.time < row.time) continue;
      r.rating = r.rating > 3 ? 1.0f : 5.0f;
      r.item = r.item % data.items.size() + 1;
    }
    const TermsTable after = point_in_time_terms({row}, changed, g, kWindow);
    EXPECT_EQ(after.row(0), original.row(i)) << "row " << i << " of user " << row.user;
    // ...while rewriting the past does change it: with every earlier rating a
    // dislike there is nothing left to prefer.
    std::vector<Rating> past = history;
    for (auto& r : past)
      if (r.user == row.user && r.time < row.time) r.rating = 1.0f;
    EXPECT_TRUE(point_in_time_terms({row}, past, g, kWindow).row(0).empty());
    if (!original.row(i).empty()) ++tested_with_terms;
    ++tested;
  }
  EXPECT_GT(tested, 5u);
  EXPECT_GT(tested_with_terms, 3u);
}

TEST_F(GeneratedTerms, OnlineStateIsTheWindowBeforeTheHeldOutPart) {
  PrepareConfig cfg;
  cfg.window = kWindow;
  const Prepared p = prepare(data, cfg);
  const GenreIndex g(data.items);
  std::map<Id, int64_t> first_held;
  std::map<Id, std::vector<std::string>> before;
  for (const auto& r : p.split.holdout)
    if (!first_held.count(r.user)) first_held[r.user] = r.time;
  for (const auto* part : {&p.split.train, &p.split.test})
    for (const auto& r : *part) before[r.user].push_back(std::to_string(r.item));
  ASSERT_EQ(p.users.size(), data.users.size());
  for (const auto& u : p.users) {
    const Id id = static_cast<Id>(std::stoul(u.id));
    std::vector<WeightedTerm> expected;
    for (const auto& t : brute_force(user_history(id, history), first_held.at(id), g, kWindow))
      expected.emplace_back(g.names()[t.genre], t.weight);
    EXPECT_EQ(u.terms, expected) << "user " << id;
    // Seen: every rating before the held-out part (train then test, in time order).
    std::vector<std::string> seen = before[id];
    std::sort(seen.begin(), seen.end());
    std::vector<std::string> got = u.seen;
    std::sort(got.begin(), got.end());
    EXPECT_EQ(got, seen) << "user " << id;
  }
  // Items: popularity counts train + test ratings only.
  std::map<std::string, double> count;
  for (const auto* part : {&p.split.train, &p.split.test})
    for (const auto& r : *part) count[std::to_string(r.item)] += 1;
  for (const auto& it : p.items) EXPECT_EQ(it.popularity, count[it.id]) << "item " << it.id;
}
