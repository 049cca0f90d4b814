// The synthetic data set: same seed -> same data, and the MovieLens-1M shape
// it promises (demographics, 1-3 of the 18 genres, 1-5 stars in the 1M
// proportions, at least the minimum ratings per user, no repeated rating,
// times inside the span, popularity skew).
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>

#include "reco_offline/synthetic.hpp"

using namespace reco_offline;

namespace {
SyntheticConfig small() {
  SyntheticConfig c;
  c.users = 400;
  c.items = 500;
  c.ratings = 40000;
  c.seed = 7;
  return c;
}

bool same(const Dataset& a, const Dataset& b) {
  if (a.ratings.size() != b.ratings.size() || a.items.size() != b.items.size() || a.users.size() != b.users.size())
    return false;
  for (size_t i = 0; i < a.ratings.size(); ++i) {
    const auto &x = a.ratings[i], &y = b.ratings[i];
    if (x.user != y.user || x.item != y.item || x.time != y.time || x.rating != y.rating) return false;
  }
  for (size_t i = 0; i < a.items.size(); ++i)
    if (a.items[i].title != b.items[i].title || a.items[i].genres != b.items[i].genres) return false;
  for (size_t i = 0; i < a.users.size(); ++i)
    if (a.users[i].gender != b.users[i].gender || a.users[i].age != b.users[i].age) return false;
  return true;
}
}  // namespace

TEST(Synthetic, SameSeedSameDataOtherSeedOtherData) {
  const Dataset a = generate_synthetic(small());
  const Dataset b = generate_synthetic(small());
  EXPECT_TRUE(same(a, b));
  SyntheticConfig other = small();
  other.seed = 8;
  EXPECT_FALSE(same(a, generate_synthetic(other)));
}

TEST(Synthetic, ShapeOfMovieLens1M) {
  const SyntheticConfig c = small();
  const Dataset d = generate_synthetic(c);
  ASSERT_EQ(d.users.size(), c.users);
  ASSERT_EQ(d.items.size(), c.items);
  EXPECT_NEAR(static_cast<double>(d.ratings.size()), static_cast<double>(c.ratings), 0.05 * c.ratings);

  const std::set<int> buckets{1, 18, 25, 35, 45, 50, 56};
  for (const auto& u : d.users) {
    EXPECT_TRUE(u.gender == "M" || u.gender == "F");
    EXPECT_TRUE(buckets.count(u.age)) << u.age;
    const int occ = std::stoi(u.occupation);
    EXPECT_TRUE(occ >= 0 && occ <= 20);
  }
  const auto& all = movielens_genres();
  for (const auto& it : d.items) {
    EXPECT_GE(it.genres.size(), 1u);
    EXPECT_LE(it.genres.size(), 3u);
    for (const auto& g : it.genres) EXPECT_NE(std::find(all.begin(), all.end(), g), all.end()) << g;
    EXPECT_GE(it.year, 1919);
    EXPECT_LE(it.year, 2000);
    EXPECT_NE(it.title.find("(" + std::to_string(it.year) + ")"), std::string::npos);
  }

  std::map<Id, size_t> per_user;
  std::set<std::pair<Id, Id>> pairs;
  std::map<int, size_t> stars;
  std::map<Id, size_t> per_item;
  for (const auto& r : d.ratings) {
    ++per_user[r.user];
    ++per_item[r.item];
    EXPECT_TRUE(pairs.insert({r.user, r.item}).second) << "user " << r.user << " rated item " << r.item << " twice";
    EXPECT_GE(r.time, c.first_time);
    EXPECT_LE(r.time, c.last_time);
    ++stars[static_cast<int>(r.rating)];
  }
  EXPECT_EQ(per_user.size(), c.users);
  for (const auto& [u, n] : per_user) EXPECT_GE(n, c.min_ratings_per_user);
  // 1M star shares: 5.6%, 10.8%, 26.1%, 34.9%, 22.6%.
  const double n = static_cast<double>(d.ratings.size());
  EXPECT_NEAR(stars[1] / n, 0.056, 0.01);
  EXPECT_NEAR(stars[3] / n, 0.261, 0.01);
  EXPECT_NEAR(stars[5] / n, 0.226, 0.01);
  // Popularity skew: the top 10% of items take at least twice their share of the ratings.
  std::vector<size_t> counts;
  for (const auto& [i, k] : per_item) counts.push_back(k);
  std::sort(counts.rbegin(), counts.rend());
  size_t top = 0;
  for (size_t i = 0; i < counts.size() / 10; ++i) top += counts[i];
  EXPECT_GT(top / n, 0.2);
}

TEST(Synthetic, PlantedTasteShowsInRatings) {
  // Users should rate higher the items closer to their planted taste.
  PlantedTruth truth;
  const Dataset d = generate_synthetic(small(), &truth);
  double close_sum = 0, far_sum = 0;
  size_t close_n = 0, far_n = 0;
  for (const auto& r : d.ratings) {
    const auto& p = truth.user_taste[r.user - 1];
    const auto& q = truth.item_vector[r.item - 1];
    double dot = 0;
    for (size_t k = 0; k < p.size(); ++k) dot += p[k] * q[k];
    if (dot > 0.3) close_sum += r.rating, ++close_n;
    if (dot < -0.1) far_sum += r.rating, ++far_n;
  }
  ASSERT_GT(close_n, 100u);
  ASSERT_GT(far_n, 100u);
  EXPECT_GT(close_sum / close_n, far_sum / far_n + 0.3);
}
