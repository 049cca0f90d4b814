// MovieLens readers: each layout parsed field by field from small files, the
// 1M writer round-trips, and every kind of malformed line is rejected with an
// error naming the file and the line.
#include <gtest/gtest.h>

#include "reco_offline/movielens.hpp"
#include "reco_offline/synthetic.hpp"
#include "reco_offline/text_input.hpp"
#include "temp_dir.hpp"

using namespace reco_offline;
using reco_offline::test::TempDir;

namespace {

// Runs `f`, expects a DataError whose message contains every fragment.
template <class F>
void expect_data_error(F f, std::initializer_list<std::string> fragments) {
  try {
    f();
    FAIL() << "expected a DataError";
  } catch (const DataError& e) {
    const std::string msg = e.what();
    for (const auto& frag : fragments) EXPECT_NE(msg.find(frag), std::string::npos) << "'" << frag << "' not in: " << msg;
  }
}

void write_1m(const TempDir& d, const std::string& ratings) {
  d.write("users.dat", "1::F::1::10::48067\n2::M::56::16::70072\n");
  // 0xe9 is e-acute in Latin-1, as in the real movies.dat.
  d.write("movies.dat", "1::Toy Story (1995)::Animation|Children's|Comedy\n2::Caf\xe9 (1999)::Drama\n");
  d.write("ratings.dat", ratings);
}

}  // namespace

TEST(MovieLens1M, ReadsAllThreeFiles) {
  TempDir d;
  write_1m(d, "1::1::5::978300760\n1::2::3::978302109\r\n2::1::4::978301968");  // CRLF and no final newline
  const Dataset data = read_movielens(d.path());
  ASSERT_EQ(data.users.size(), 2u);
  EXPECT_EQ(data.users[0].id, 1u);
  EXPECT_EQ(data.users[0].gender, "F");
  EXPECT_EQ(data.users[0].age, 1);
  EXPECT_EQ(data.users[0].occupation, "10");
  EXPECT_EQ(data.users[1].zip, "70072");
  ASSERT_EQ(data.items.size(), 2u);
  EXPECT_EQ(data.items[0].title, "Toy Story (1995)");
  EXPECT_EQ(data.items[0].year, 1995);
  EXPECT_EQ(data.items[0].genres, (std::vector<std::string>{"Animation", "Children's", "Comedy"}));
  EXPECT_EQ(data.items[1].title, "Caf\xc3\xa9 (1999)");  // converted to UTF-8
  ASSERT_EQ(data.ratings.size(), 3u);
  EXPECT_EQ(data.ratings[1].user, 1u);
  EXPECT_EQ(data.ratings[1].item, 2u);
  EXPECT_EQ(data.ratings[1].rating, 3.0f);
  EXPECT_EQ(data.ratings[1].time, 978302109);
  EXPECT_TRUE(is_positive(data.ratings[2]));
  EXPECT_FALSE(is_positive(data.ratings[1]));
}

TEST(MovieLens1M, MalformedRatingLinesNameFileAndLine) {
  TempDir d;
  write_1m(d, "1::1::5::978300760\n1::2::3\n");
  expect_data_error([&] { read_movielens(d.path()); }, {"ratings.dat:2:", "expected 4 fields"});
  write_1m(d, "1::1::5::978300760\n1::2::five::978300760\n");
  expect_data_error([&] { read_movielens(d.path()); }, {"ratings.dat:2:", "rating is not a number", "five"});
  write_1m(d, "1::1::9::978300760\n");
  expect_data_error([&] { read_movielens(d.path()); }, {"ratings.dat:1:", "out of range"});
  write_1m(d, "1::1::4::978300760\n1::77::4::978300760\n");
  expect_data_error([&] { read_movielens(d.path()); }, {"ratings.dat:2:", "movie 77"});
  write_1m(d, "1::1::4::978300760\n3::1::4::978300760\n");
  expect_data_error([&] { read_movielens(d.path()); }, {"ratings.dat:2:", "user 3"});
  write_1m(d, "x::1::4::978300760\n");
  expect_data_error([&] { read_movielens(d.path()); }, {"ratings.dat:1:", "user id is not an integer"});
  write_1m(d, "1::1::4::-5\n");
  expect_data_error([&] { read_movielens(d.path()); }, {"ratings.dat:1:", "negative timestamp"});
}

TEST(MovieLens1M, MalformedUsersAndMovies) {
  TempDir d;
  write_1m(d, "1::1::5::978300760\n");
  d.write("users.dat", "1::F::1::10::48067\n2::X::56::16::70072\n");
  expect_data_error([&] { read_movielens(d.path()); }, {"users.dat:2:", "gender"});
  d.write("users.dat", "1::F::1::10::48067\n1::M::56::16::70072\n");
  expect_data_error([&] { read_movielens(d.path()); }, {"users.dat", "user 1 listed twice"});
  d.write("users.dat", "1::F::1::10::48067\n");
  d.write("movies.dat", "1::Toy Story (1995)\n");
  expect_data_error([&] { read_movielens(d.path()); }, {"movies.dat:1:", "expected 3 fields"});
  d.write("movies.dat", "1:: ::Drama\n");
  expect_data_error([&] { read_movielens(d.path()); }, {"movies.dat:1:", "empty title"});
}

TEST(MovieLens100K, ReadsTabRatingsAndGenreFlags) {
  TempDir d;
  d.write("u.data", "1\t2\t4\t874965758\n2\t1\t1\t876893171\n");
  d.write("u.user", "1|24|M|technician|85711\n2|53|F|other|94043\n");
  d.write("u.item",
          "1|Toy Story (1995)|01-Jan-1995||http://x|0|0|0|1|1|1|0|0|0|0|0|0|0|0|0|0|0|0|0\n"
          "2|Unknown film|01-Jan-1994||http://y|1|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|1\n");
  const Dataset data = read_movielens(d.path());
  ASSERT_EQ(data.users.size(), 2u);
  EXPECT_EQ(data.users[0].age, 24);
  EXPECT_EQ(data.users[0].occupation, "technician");
  EXPECT_EQ(data.items[0].genres, (std::vector<std::string>{"Animation", "Children's", "Comedy"}));
  EXPECT_EQ(data.items[1].genres, (std::vector<std::string>{"Western"}));  // "unknown" flag dropped
  EXPECT_EQ(data.items[1].year, 1994);                                    // from the release date
  ASSERT_EQ(data.ratings.size(), 2u);
  EXPECT_EQ(data.ratings[0].item, 2u);
  EXPECT_EQ(data.ratings[1].rating, 1.0f);

  d.write("u.item", "1|Toy Story (1995)|01-Jan-1995||http://x|0|0|0|1|1|1|0|0|0|0|0|0|0|0|0|0|0|0|2\n");
  expect_data_error([&] { read_movielens(d.path()); }, {"u.item:1:", "genre flag"});
  d.write("u.item", "1|Toy Story (1995)|01-Jan-1995\n");
  expect_data_error([&] { read_movielens(d.path()); }, {"u.item:1:", "expected 24 fields"});
}

TEST(MovieLensLatest, ReadsQuotedCsvAndHalfStars) {
  TempDir d;
  d.write("movies.csv",
          "movieId,title,genres\n"
          "1,Toy Story (1995),Adventure|Animation|Children|Comedy|Fantasy\n"
          "11,\"American President, The (1995)\",Comedy|Drama|Romance\n"
          "12,\"Say \"\"Hi\"\" (2001) \",(no genres listed)\n");
  d.write("ratings.csv", "userId,movieId,rating,timestamp\n1,1,4.0,964982703\n1,11,2.5,964981247\n7,12,5.0,1\n");
  const Dataset data = read_movielens(d.path());
  ASSERT_EQ(data.items.size(), 3u);
  EXPECT_EQ(data.items[1].title, "American President, The (1995)");
  EXPECT_EQ(data.items[2].title, "Say \"Hi\" (2001)");
  EXPECT_EQ(data.items[2].year, 2001);
  EXPECT_TRUE(data.items[2].genres.empty());
  ASSERT_EQ(data.ratings.size(), 3u);
  EXPECT_EQ(data.ratings[1].rating, 2.5f);
  EXPECT_FALSE(is_positive(data.ratings[1]));
  // No users file: users come from the ratings, without demographics.
  ASSERT_EQ(data.users.size(), 2u);
  EXPECT_EQ(data.users[1].id, 7u);
  EXPECT_TRUE(data.users[1].gender.empty());

  d.write("movies.csv", "movieId,title,genres\n1,\"Broken (1995),Drama\n");
  expect_data_error([&] { read_movielens(d.path()); }, {"movies.csv:2:", "quoting"});
  d.write("movies.csv", "1,Toy Story (1995),Comedy\n");
  expect_data_error([&] { read_movielens(d.path()); }, {"movies.csv:1:", "header"});
  d.write("movies.csv", "movieId,title,genres\n1,Toy Story (1995),Comedy\n");
  d.write("ratings.csv", "1,1,4.0,964982703\n");
  expect_data_error([&] { read_movielens(d.path()); }, {"ratings.csv:1:", "header"});
}

TEST(MovieLens, DetectsLayoutAndReportsMissingFiles) {
  TempDir d;
  EXPECT_FALSE(detect_layout(d.path()).has_value());
  expect_data_error([&] { read_movielens(d.path()); }, {"no MovieLens files"});
  d.write("ratings.dat", "1::1::5::1\n");
  EXPECT_EQ(detect_layout(d.path()), MovieLensLayout::ML1M);
  expect_data_error([&] { read_movielens(d.path()); }, {"movies.dat", "cannot open"});
}

TEST(MovieLens, YearFromTitle) {
  EXPECT_EQ(year_from_title("Toy Story (1995)"), 1995);
  EXPECT_EQ(year_from_title("Babylon 5 (1994) "), 1994);
  EXPECT_EQ(year_from_title("Fawlty Towers (1975-1979)"), 1975);
  EXPECT_EQ(year_from_title("No year"), 0);
  EXPECT_EQ(year_from_title("Odd (abcd)"), 0);
}

TEST(MovieLens, WriterRoundTripsGeneratedData) {
  SyntheticConfig c;
  c.users = 60;
  c.items = 80;
  c.ratings = 3000;
  const Dataset original = generate_synthetic(c);
  TempDir d;
  write_ml1m(original, d.path());
  const Dataset back = read_movielens(d.path());
  ASSERT_EQ(back.users.size(), original.users.size());
  ASSERT_EQ(back.items.size(), original.items.size());
  ASSERT_EQ(back.ratings.size(), original.ratings.size());
  for (size_t i = 0; i < original.users.size(); ++i) {
    EXPECT_EQ(back.users[i].id, original.users[i].id);
    EXPECT_EQ(back.users[i].gender, original.users[i].gender);
    EXPECT_EQ(back.users[i].age, original.users[i].age);
    EXPECT_EQ(back.users[i].occupation, original.users[i].occupation);
  }
  for (size_t i = 0; i < original.items.size(); ++i) {
    EXPECT_EQ(back.items[i].title, original.items[i].title);
    EXPECT_EQ(back.items[i].year, original.items[i].year);
    EXPECT_EQ(back.items[i].genres, original.items[i].genres);
  }
  for (size_t i = 0; i < original.ratings.size(); ++i) {
    EXPECT_EQ(back.ratings[i].user, original.ratings[i].user);
    EXPECT_EQ(back.ratings[i].item, original.ratings[i].item);
    EXPECT_EQ(back.ratings[i].rating, original.ratings[i].rating);
    EXPECT_EQ(back.ratings[i].time, original.ratings[i].time);
  }
}
