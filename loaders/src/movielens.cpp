// MovieLens readers and the 1M-layout writer (see movielens.hpp). Parsing is
// hand-rolled over an in-memory copy of each file: the 1M ratings file has a
// million lines and iostream extraction would dominate the whole pipeline.
#include "reco_offline/movielens.hpp"

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "reco_offline/text_input.hpp"

namespace fs = std::filesystem;

namespace reco_offline {

namespace {

std::string join_path(const std::string& dir, const char* name) { return (fs::path(dir) / name).string(); }

Id to_id(const LineContext& ctx, std::string_view field, const char* what) {
  const int64_t v = ctx.to_int(field, what);
  if (v < 0 || v > 0xffffffffLL) ctx.fail(std::string(what) + " out of range: " + std::to_string(v));
  return static_cast<Id>(v);
}

float to_rating(const LineContext& ctx, std::string_view field) {
  const double v = ctx.to_double(field, "rating");
  if (v < 0.5 || v > 5.0) ctx.fail("rating out of range 0.5-5: " + std::string(field));
  return static_cast<float>(v);
}

int64_t to_time(const LineContext& ctx, std::string_view field) {
  const int64_t v = ctx.to_int(field, "timestamp");
  if (v < 0) ctx.fail("negative timestamp: " + std::string(field));
  return v;
}

void check_known(const LineContext& ctx, const std::unordered_set<Id>* known, Id id, const char* what) {
  if (known && !known->count(id)) ctx.fail(std::string("rating of ") + what + " " + std::to_string(id) + " not listed in the " + what + "s file");
}

std::vector<std::string> split_genres(std::string_view field) {
  std::vector<std::string> genres;
  std::vector<std::string_view> parts;
  split_fields(field, "|", parts);
  for (auto p : parts) {
    p = trim(p);
    if (!p.empty() && p != "(no genres listed)") genres.emplace_back(p);
  }
  return genres;
}

std::unordered_set<Id> id_set(const std::vector<User>& v) {
  std::unordered_set<Id> s;
  for (const auto& x : v) s.insert(x.id);
  return s;
}
std::unordered_set<Id> id_set(const std::vector<Item>& v) {
  std::unordered_set<Id> s;
  for (const auto& x : v) s.insert(x.id);
  return s;
}

template <class Record>
void check_unique(const std::vector<Record>& records, const std::string& path, const char* what) {
  std::unordered_set<Id> seen;
  for (const auto& r : records) {
    if (!seen.insert(r.id).second) throw DataError(path + ": " + what + " " + std::to_string(r.id) + " listed twice");
  }
}

// The loop every line-oriented reader shares: optional header, blank lines skipped, and a
// LineContext that lets the parser name file and line in its errors.
template <class Record, class ParseLine>
std::vector<Record> read_lines(const std::string& path, const char* header, ParseLine parse) {
  const std::string text = read_whole_file(path);
  std::vector<Record> out;
  out.reserve(text.size() / 24);
  LineCursor cursor(text);
  LineContext ctx{path, 0, {}};
  std::string_view line;
  std::vector<std::string_view> fields;
  bool header_pending = header != nullptr;
  while (cursor.next(line)) {
    ctx.line = cursor.line_number();
    ctx.text = line;
    if (header_pending) {
      header_pending = false;
      if (line.rfind(header, 0) != 0) ctx.fail(std::string("expected a header line starting with \"") + header + "\"");
      continue;
    }
    if (trim(line).empty()) {
      // A trailing blank line is common; a blank line in the middle is not data either.
      continue;
    }
    out.push_back(parse(ctx, line, fields));
  }
  return out;
}

}  // namespace

int year_from_title(std::string_view title) {
  title = trim(title);
  if (title.empty() || title.back() != ')') return 0;
  const size_t open = title.rfind('(');
  if (open == std::string_view::npos || open + 5 > title.size()) return 0;
  int year = 0;
  for (size_t i = open + 1; i < open + 5; ++i) {
    if (title[i] < '0' || title[i] > '9') return 0;
    year = year * 10 + (title[i] - '0');
  }
  return year;
}

std::optional<MovieLensLayout> detect_layout(const std::string& dir) {
  if (fs::exists(join_path(dir, "ratings.dat"))) return MovieLensLayout::ML1M;
  if (fs::exists(join_path(dir, "u.data"))) return MovieLensLayout::ML100K;
  if (fs::exists(join_path(dir, "ratings.csv"))) return MovieLensLayout::Latest;
  return std::nullopt;
}

const char* layout_name(MovieLensLayout layout) {
  switch (layout) {
    case MovieLensLayout::ML1M: return "MovieLens 1M (.dat)";
    case MovieLensLayout::ML100K: return "MovieLens 100K (u.data)";
    case MovieLensLayout::Latest: return "MovieLens latest (.csv)";
  }
  return "?";
}

// user, item, rating, time: the same four fields in every layout, only the separator differs.
std::vector<Rating> read_ratings(const std::string& path, const char* header, const char* sep,
                                 const std::unordered_set<Id>* known_users, const std::unordered_set<Id>* known_items) {
  return read_lines<Rating>(path, header, [&](const LineContext& ctx, std::string_view line, std::vector<std::string_view>& f) {
    split_fields(line, sep, f);
    ctx.expect_fields(f.size(), 4, std::string_view(sep) == "\t" ? "\\t" : sep);
    Rating r;
    r.user = to_id(ctx, f[0], "user id");
    r.item = to_id(ctx, f[1], "movie id");
    r.rating = to_rating(ctx, f[2]);
    r.time = to_time(ctx, f[3]);
    check_known(ctx, known_users, r.user, "user");
    check_known(ctx, known_items, r.item, "movie");
    return r;
  });
}

// ---- 1M ----------------------------------------------------------------------

std::vector<User> read_ml1m_users(const std::string& path) {
  auto users = read_lines<User>(path, nullptr, [&](const LineContext& ctx, std::string_view line,
                                                std::vector<std::string_view>& f) {
    split_fields(line, "::", f);
    ctx.expect_fields(f.size(), 5, "::");
    User u;
    u.id = to_id(ctx, f[0], "user id");
    u.gender = std::string(trim(f[1]));
    if (u.gender != "M" && u.gender != "F") ctx.fail("gender must be M or F, got \"" + std::string(f[1]) + "\"");
    u.age = static_cast<int>(ctx.to_int(f[2], "age"));
    if (u.age < 0 || u.age > 150) ctx.fail("age out of range: " + std::string(f[2]));
    u.occupation = std::to_string(ctx.to_int(f[3], "occupation"));
    u.zip = std::string(trim(f[4]));
    return u;
  });
  check_unique(users, path, "user");
  return users;
}

std::vector<Item> read_ml1m_movies(const std::string& path) {
  auto items = read_lines<Item>(path, nullptr, [&](const LineContext& ctx, std::string_view line,
                                                std::vector<std::string_view>& f) {
    split_fields(line, "::", f);
    ctx.expect_fields(f.size(), 3, "::");
    Item it;
    it.id = to_id(ctx, f[0], "movie id");
    it.title = to_utf8(trim(f[1]));
    if (it.title.empty()) ctx.fail("empty title");
    it.year = year_from_title(it.title);
    it.genres = split_genres(f[2]);
    return it;
  });
  check_unique(items, path, "movie");
  return items;
}

std::vector<Rating> read_ml1m_ratings(const std::string& path, const std::unordered_set<Id>* known_users,
                                      const std::unordered_set<Id>* known_items) {
  return read_ratings(path, nullptr, "::", known_users, known_items);
}

// ---- 100K --------------------------------------------------------------------

std::vector<User> read_ml100k_users(const std::string& path) {
  auto users = read_lines<User>(path, nullptr, [&](const LineContext& ctx, std::string_view line,
                                                std::vector<std::string_view>& f) {
    split_fields(line, "|", f);
    ctx.expect_fields(f.size(), 5, "|");
    User u;
    u.id = to_id(ctx, f[0], "user id");
    u.age = static_cast<int>(ctx.to_int(f[1], "age"));
    if (u.age < 0 || u.age > 150) ctx.fail("age out of range: " + std::string(f[1]));
    u.gender = std::string(trim(f[2]));
    if (u.gender != "M" && u.gender != "F") ctx.fail("gender must be M or F, got \"" + std::string(f[2]) + "\"");
    u.occupation = std::string(trim(f[3]));
    u.zip = std::string(trim(f[4]));
    return u;
  });
  check_unique(users, path, "user");
  return users;
}

std::vector<Item> read_ml100k_items(const std::string& path) {
  // u.genre gives the flag order; it is the 1M list with "unknown" in front.
  // "unknown" is dropped: as a term it would only group unrelated films.
  const auto& genres = movielens_genres();
  auto items = read_lines<Item>(path, nullptr, [&](const LineContext& ctx, std::string_view line,
                                                std::vector<std::string_view>& f) {
    split_fields(line, "|", f);
    ctx.expect_fields(f.size(), 5 + 1 + genres.size(), "|");
    Item it;
    it.id = to_id(ctx, f[0], "movie id");
    it.title = to_utf8(trim(f[1]));
    it.year = year_from_title(it.title);
    const std::string_view date = trim(f[2]);
    if (it.year == 0 && date.size() >= 4) {
      int64_t y = 0;
      if (parse_int(date.substr(date.size() - 4), y)) it.year = static_cast<int>(y);
    }
    for (size_t g = 0; g <= genres.size(); ++g) {
      const std::string_view flag = trim(f[5 + g]);
      if (flag != "0" && flag != "1") ctx.fail("genre flag must be 0 or 1, got \"" + std::string(flag) + "\"");
      if (flag == "1" && g > 0) it.genres.push_back(genres[g - 1]);
    }
    return it;
  });
  check_unique(items, path, "movie");
  return items;
}

std::vector<Rating> read_ml100k_ratings(const std::string& path, const std::unordered_set<Id>* known_users,
                                        const std::unordered_set<Id>* known_items) {
  return read_ratings(path, nullptr, "\t", known_users, known_items);
}

// ---- latest (CSV) ------------------------------------------------------------

std::vector<Item> read_latest_movies(const std::string& path) {
  const std::string text = read_whole_file(path);
  std::vector<Item> items;
  LineCursor cursor(text);
  LineContext ctx{path, 0, {}};
  std::string_view line;
  std::vector<std::string> f;
  bool header = true;
  while (cursor.next(line)) {
    ctx.line = cursor.line_number();
    ctx.text = line;
    if (header) {
      header = false;
      if (line.rfind("movieId", 0) != 0) ctx.fail("expected header \"movieId,title,genres\"");
      continue;
    }
    if (trim(line).empty()) continue;
    if (!split_csv(line, ',', f)) ctx.fail("broken CSV quoting");
    ctx.expect_fields(f.size(), 3, ",");
    Item it;
    it.id = to_id(ctx, f[0], "movie id");
    it.title = to_utf8(trim(f[1]));
    it.year = year_from_title(it.title);
    it.genres = split_genres(f[2]);
    items.push_back(std::move(it));
  }
  check_unique(items, path, "movie");
  return items;
}

std::vector<Rating> read_latest_ratings(const std::string& path, const std::unordered_set<Id>* known_items) {
  return read_ratings(path, "userId", ",", nullptr, known_items);
}

// ---- directory ---------------------------------------------------------------

Dataset read_movielens(const std::string& dir) {
  const auto layout = detect_layout(dir);
  if (!layout) {
    throw DataError(dir + ": no MovieLens files found (expected ratings.dat, u.data or ratings.csv)");
  }
  Dataset data;
  switch (*layout) {
    case MovieLensLayout::ML1M: {
      const std::string users_path = join_path(dir, "users.dat");
      // The 10M release has no users file; ratings then define the users.
      if (fs::exists(users_path)) data.users = read_ml1m_users(users_path);
      data.items = read_ml1m_movies(join_path(dir, "movies.dat"));
      const auto users = id_set(data.users);
      const auto items = id_set(data.items);
      data.ratings = read_ml1m_ratings(join_path(dir, "ratings.dat"), data.users.empty() ? nullptr : &users, &items);
      break;
    }
    case MovieLensLayout::ML100K: {
      data.users = read_ml100k_users(join_path(dir, "u.user"));
      data.items = read_ml100k_items(join_path(dir, "u.item"));
      const auto users = id_set(data.users);
      const auto items = id_set(data.items);
      data.ratings = read_ml100k_ratings(join_path(dir, "u.data"), &users, &items);
      break;
    }
    case MovieLensLayout::Latest: {
      data.items = read_latest_movies(join_path(dir, "movies.csv"));
      const auto items = id_set(data.items);
      data.ratings = read_latest_ratings(join_path(dir, "ratings.csv"), &items);
      break;
    }
  }
  if (data.users.empty()) {
    std::unordered_set<Id> seen;
    for (const auto& r : data.ratings) {
      if (seen.insert(r.user).second) data.users.push_back(User{r.user, "", 0, "", ""});
    }
  }
  return data;
}

// ---- writer ------------------------------------------------------------------

namespace {
void check_writable_field(const std::string& s, const char* what, Id id) {
  if (s.find("::") != std::string::npos || s.find('\n') != std::string::npos || s.find('\r') != std::string::npos) {
    throw DataError(std::string(what) + " of " + std::to_string(id) + " cannot be written in the 1M layout: \"" + s + "\"");
  }
}

class FileOut {
 public:
  explicit FileOut(const std::string& path) : path_(path), f_(std::fopen(path.c_str(), "wb")) {
    if (!f_) throw DataError(path + ": cannot open for writing");
  }
  ~FileOut() {
    if (f_) std::fclose(f_);
  }
  FILE* get() { return f_; }
  void close() {
    const bool bad = std::ferror(f_) != 0;
    const bool close_failed = std::fclose(f_) != 0;
    f_ = nullptr;
    if (bad || close_failed) throw DataError(path_ + ": write failed");
  }

 private:
  std::string path_;
  FILE* f_;
};
}  // namespace

void write_ml1m(const Dataset& data, const std::string& dir) {
  fs::create_directories(dir);
  {
    FileOut out(join_path(dir, "users.dat"));
    for (const auto& u : data.users) {
      check_writable_field(u.zip, "zip", u.id);
      std::fprintf(out.get(), "%u::%s::%d::%s::%s\n", u.id, u.gender.c_str(), u.age, u.occupation.c_str(), u.zip.c_str());
    }
    out.close();
  }
  {
    FileOut out(join_path(dir, "movies.dat"));
    for (const auto& it : data.items) {
      check_writable_field(it.title, "title", it.id);
      std::string genres;
      for (size_t g = 0; g < it.genres.size(); ++g) {
        if (g) genres.push_back('|');
        genres += it.genres[g];
      }
      std::fprintf(out.get(), "%u::%s::%s\n", it.id, it.title.c_str(), genres.c_str());
    }
    out.close();
  }
  {
    FileOut out(join_path(dir, "ratings.dat"));
    for (const auto& r : data.ratings) {
      if (r.rating == static_cast<float>(static_cast<int>(r.rating))) {
        std::fprintf(out.get(), "%u::%u::%d::%lld\n", r.user, r.item, static_cast<int>(r.rating),
                     static_cast<long long>(r.time));
      } else {
        std::fprintf(out.get(), "%u::%u::%.1f::%lld\n", r.user, r.item, r.rating, static_cast<long long>(r.time));
      }
    }
    out.close();
  }
}

}  // namespace reco_offline
