// Prepared-directory files: items, users and rating rows round-trip, and
// malformed lines are rejected with file and line.
#include <gtest/gtest.h>

#include "reco_offline/records.hpp"
#include "reco_offline/text_input.hpp"
#include "expect_data_error.hpp"
#include "temp_dir.hpp"

using namespace reco_offline;
using reco_offline::test::TempDir;
using reco_offline::test::expect_error;

TEST(Records, ItemsRoundTrip) {
  TempDir d;
  std::vector<ItemRecord> items(2);
  items[0] = {"1", "Toy Story (1995)", {"Animation", "Children's"}, 2077, 1046000000, {{"year", "1995"}, {"genre", "Animation"}}};
  items[1] = {"2", "Caf\xc3\xa9, The (1999)", {}, 0, 0, {}};
  write_items(d.file("items.tsv"), items);
  const auto back = read_items(d.file("items.tsv"));
  ASSERT_EQ(back.size(), 2u);
  EXPECT_EQ(back[0].title, items[0].title);
  EXPECT_EQ(back[0].terms, items[0].terms);
  EXPECT_EQ(back[0].popularity, 2077);
  EXPECT_EQ(back[0].time, 1046000000);
  EXPECT_EQ(back[0].features, items[0].features);
  EXPECT_EQ(back[1].title, items[1].title);
  EXPECT_TRUE(back[1].terms.empty());
  EXPECT_TRUE(back[1].features.empty());

  items[0].terms = {"Sci|Fi"};
  expect_error([&] { write_items(d.file("bad.tsv"), items); }, "separator");
}

TEST(Records, UsersRoundTrip) {
  TempDir d;
  std::vector<UserRecord> users(1);
  users[0] = {"42", {{"Drama", 0.25f}, {"Comedy", 1.0f / 3.0f}}, {"3", "1", "2"}, {{"gender", "F"}, {"age", "25"}}};
  write_users(d.file("users.tsv"), users);
  const auto back = read_users(d.file("users.tsv"));
  ASSERT_EQ(back.size(), 1u);
  EXPECT_EQ(back[0].id, "42");
  EXPECT_EQ(back[0].terms, users[0].terms);  // floats survive exactly
  EXPECT_EQ(back[0].seen, users[0].seen);
  EXPECT_EQ(back[0].features, users[0].features);
}

TEST(Records, RatingRowsRoundTripWithTerms) {
  TempDir d;
  const std::vector<std::string> names = {"Comedy", "Drama"};
  const std::vector<Rating> rows = {{1, 10, 100, 4.5f}, {1, 11, 200, 2}};
  TermsTable terms;
  terms.entries = {{0, 0.5f}, {1, 0.25f}};
  terms.offsets = {0, 0, 2};
  write_rating_rows(d.file("rows.tsv"), rows, &terms, names);
  std::vector<std::vector<WeightedTerm>> back_terms;
  const auto back = read_rating_rows(d.file("rows.tsv"), &back_terms);
  ASSERT_EQ(back.size(), 2u);
  EXPECT_EQ(back[0].rating, 4.5f);
  EXPECT_EQ(back[1].time, 200);
  EXPECT_TRUE(back_terms[0].empty());
  EXPECT_EQ(back_terms[1], (std::vector<WeightedTerm>{{"Comedy", 0.5f}, {"Drama", 0.25f}}));
}

TEST(Records, MalformedLinesNameFileAndLine) {
  TempDir d;
  d.write("items.tsv", "item\ttitle\tterms\tpopularity\ttime\tfeatures\n1\tA\tDrama\tmany\t0\t\n");
  expect_error([&] { read_items(d.file("items.tsv")); }, "items.tsv:2: popularity is not a number");
  d.write("items.tsv", "item\ttitle\tterms\tpopularity\ttime\tfeatures\n1\tA\tDrama\t1\t0\tyear\n");
  expect_error([&] { read_items(d.file("items.tsv")); }, "items.tsv:2: feature \"year\" is not name=value");
  d.write("items.tsv", "1\tA\tDrama\t1\t0\t\n");
  expect_error([&] { read_items(d.file("items.tsv")); }, "items.tsv:1: expected the header line");
  d.write("users.tsv", "user\tterms\tseen\tfeatures\n1\tDrama=x\t\t\n");
  expect_error([&] { read_users(d.file("users.tsv")); }, "users.tsv:2: term weight is not a number");
  d.write("users.tsv", "user\tterms\tseen\tfeatures\n1\t\t\n");
  expect_error([&] { read_users(d.file("users.tsv")); }, "users.tsv:2: expected 4 fields");
  d.write("rows.tsv", "user\titem\trating\tlabel\ttime\tterms\n1\t2\t4\t0\t5\t\n");
  expect_error([&] { read_rating_rows(d.file("rows.tsv")); }, "rows.tsv:2: label disagrees");
  d.write("rows.tsv", "user\titem\trating\tlabel\ttime\tterms\n1\t2\t7\t1\t5\t\n");
  expect_error([&] { read_rating_rows(d.file("rows.tsv")); }, "rows.tsv:2: rating out of range");
  expect_error([&] { read_items(d.file("missing.tsv")); }, "cannot open");
}
