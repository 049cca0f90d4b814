// TSV files of the prepared directory (see records.hpp). Separators inside
// fields ('|', ';', '=' and tab) are refused when writing rather than escaped:
// no MovieLens id, genre or feature needs them, and an unescaped format stays
// trivial to produce with awk or pandas.
#include "reco_offline/records.hpp"

#include <charconv>
#include <cstdio>

#include "reco_offline/text_input.hpp"

namespace reco_offline {

namespace {

class Writer {
 public:
  explicit Writer(const std::string& path) : path_(path), f_(std::fopen(path.c_str(), "wb")) {
    if (!f_) throw DataError(path + ": cannot open for writing");
    buf_.reserve(1 << 20);
  }
  ~Writer() {
    if (f_) std::fclose(f_);
  }
  std::string& buf() { return buf_; }
  void end_line() {
    buf_.push_back('\n');
    if (buf_.size() > (1 << 20) - 4096) flush();
  }
  void close() {
    flush();
    const bool bad = std::ferror(f_) != 0;
    const bool close_failed = std::fclose(f_) != 0;
    f_ = nullptr;
    if (bad || close_failed) throw DataError(path_ + ": write failed");
  }
  void check(const std::string& s, const char* forbidden, const char* what) const {
    for (const char* c = forbidden; *c; ++c) {
      if (s.find(*c) != std::string::npos) {
        throw DataError(path_ + ": " + what + " \"" + s + "\" contains a separator character");
      }
    }
  }

 private:
  void flush() {
    std::fwrite(buf_.data(), 1, buf_.size(), f_);
    buf_.clear();
  }
  std::string path_;
  FILE* f_;
  std::string buf_;
};

void append_number(std::string& out, double v) {
  char tmp[32];
  const auto r = std::to_chars(tmp, tmp + sizeof tmp, v);
  out.append(tmp, r.ptr);
}
void append_number(std::string& out, float v) {
  char tmp[32];
  const auto r = std::to_chars(tmp, tmp + sizeof tmp, v);
  out.append(tmp, r.ptr);
}
void append_number(std::string& out, int64_t v) {
  char tmp[32];
  const auto r = std::to_chars(tmp, tmp + sizeof tmp, v);
  out.append(tmp, r.ptr);
}

void append_features(Writer& w, const std::vector<NameValue>& features) {
  std::string& b = w.buf();
  for (size_t k = 0; k < features.size(); ++k) {
    w.check(features[k].first, "\t\n;=|", "feature name");
    w.check(features[k].second, "\t\n;", "feature value");
    if (k) b.push_back(';');
    b += features[k].first;
    b.push_back('=');
    b += features[k].second;
  }
}

void append_weighted(Writer& w, const std::vector<WeightedTerm>& terms) {
  std::string& b = w.buf();
  for (size_t k = 0; k < terms.size(); ++k) {
    w.check(terms[k].first, "\t\n|=", "term");
    if (k) b.push_back('|');
    b += terms[k].first;
    b.push_back('=');
    append_number(b, terms[k].second);
  }
}

std::vector<std::string> parse_list(std::string_view field) {
  std::vector<std::string> out;
  if (trim(field).empty()) return out;
  std::vector<std::string_view> parts;
  split_fields(field, "|", parts);
  for (auto p : parts) out.emplace_back(p);
  return out;
}

std::vector<NameValue> parse_features(const LineContext& ctx, std::string_view field) {
  std::vector<NameValue> out;
  if (trim(field).empty()) return out;
  std::vector<std::string_view> parts;
  split_fields(field, ";", parts);
  for (auto p : parts) {
    const size_t eq = p.find('=');
    if (eq == std::string_view::npos || eq == 0) ctx.fail("feature \"" + std::string(p) + "\" is not name=value");
    out.emplace_back(std::string(p.substr(0, eq)), std::string(p.substr(eq + 1)));
  }
  return out;
}

std::vector<WeightedTerm> parse_weighted(const LineContext& ctx, std::string_view field) {
  std::vector<WeightedTerm> out;
  if (trim(field).empty()) return out;
  std::vector<std::string_view> parts;
  split_fields(field, "|", parts);
  for (auto p : parts) {
    const size_t eq = p.rfind('=');
    if (eq == std::string_view::npos || eq == 0) ctx.fail("term \"" + std::string(p) + "\" is not term=weight");
    out.emplace_back(std::string(p.substr(0, eq)), static_cast<float>(ctx.to_double(p.substr(eq + 1), "term weight")));
  }
  return out;
}

template <class Parse>
void read_tsv(const std::string& path, const char* header, size_t columns, Parse parse) {
  const std::string text = read_whole_file(path);
  LineCursor cursor(text);
  LineContext ctx{path, 0, {}};
  std::string_view line;
  std::vector<std::string_view> f;
  bool first = true;
  while (cursor.next(line)) {
    ctx.line = cursor.line_number();
    ctx.text = line;
    if (first) {
      first = false;
      if (line.rfind(header, 0) != 0) ctx.fail(std::string("expected the header line \"") + header + "...\"");
      continue;
    }
    if (line.empty()) continue;
    split_fields(line, "\t", f);
    ctx.expect_fields(f.size(), columns, "\\t");
    parse(ctx, f);
  }
  if (first) throw DataError(path + ": empty file (expected a header line)");
}

}  // namespace

void write_items(const std::string& path, const std::vector<ItemRecord>& items) {
  Writer w(path);
  w.buf() += "item\ttitle\tterms\tpopularity\ttime\tfeatures";
  w.end_line();
  for (const auto& it : items) {
    w.check(it.id, "\t\n|", "item id");
    w.check(it.title, "\t\n", "title");
    std::string& b = w.buf();
    b += it.id;
    b.push_back('\t');
    b += it.title;
    b.push_back('\t');
    for (size_t k = 0; k < it.terms.size(); ++k) {
      w.check(it.terms[k], "\t\n|", "term");
      if (k) b.push_back('|');
      b += it.terms[k];
    }
    b.push_back('\t');
    append_number(b, it.popularity);
    b.push_back('\t');
    append_number(b, it.time);
    b.push_back('\t');
    append_features(w, it.features);
    w.end_line();
  }
  w.close();
}

std::vector<ItemRecord> read_items(const std::string& path) {
  std::vector<ItemRecord> items;
  read_tsv(path, "item\t", 6, [&](const LineContext& ctx, const std::vector<std::string_view>& f) {
    ItemRecord it;
    it.id = std::string(trim(f[0]));
    if (it.id.empty()) ctx.fail("empty item id");
    it.title = std::string(f[1]);
    it.terms = parse_list(f[2]);
    it.popularity = ctx.to_double(f[3], "popularity");
    it.time = ctx.to_int(f[4], "time");
    it.features = parse_features(ctx, f[5]);
    items.push_back(std::move(it));
  });
  return items;
}

void write_users(const std::string& path, const std::vector<UserRecord>& users) {
  Writer w(path);
  w.buf() += "user\tterms\tseen\tfeatures";
  w.end_line();
  for (const auto& u : users) {
    w.check(u.id, "\t\n|", "user id");
    std::string& b = w.buf();
    b += u.id;
    b.push_back('\t');
    append_weighted(w, u.terms);
    b.push_back('\t');
    for (size_t k = 0; k < u.seen.size(); ++k) {
      w.check(u.seen[k], "\t\n|", "item id");
      if (k) b.push_back('|');
      b += u.seen[k];
    }
    b.push_back('\t');
    append_features(w, u.features);
    w.end_line();
  }
  w.close();
}

std::vector<UserRecord> read_users(const std::string& path) {
  std::vector<UserRecord> users;
  read_tsv(path, "user\t", 4, [&](const LineContext& ctx, const std::vector<std::string_view>& f) {
    UserRecord u;
    u.id = std::string(trim(f[0]));
    if (u.id.empty()) ctx.fail("empty user id");
    u.terms = parse_weighted(ctx, f[1]);
    u.seen = parse_list(f[2]);
    u.features = parse_features(ctx, f[3]);
    users.push_back(std::move(u));
  });
  return users;
}

void write_rating_rows(const std::string& path, const std::vector<Rating>& rows, const TermsTable* terms,
                       const std::vector<std::string>& genre_names) {
  if (terms && terms->rows() != rows.size()) throw DataError(path + ": terms table does not match the rows");
  Writer w(path);
  w.buf() += "user\titem\trating\tlabel\ttime\tterms";
  w.end_line();
  for (size_t r = 0; r < rows.size(); ++r) {
    const Rating& x = rows[r];
    std::string& b = w.buf();
    append_number(b, static_cast<int64_t>(x.user));
    b.push_back('\t');
    append_number(b, static_cast<int64_t>(x.item));
    b.push_back('\t');
    append_number(b, x.rating);
    b += is_positive(x) ? "\t1\t" : "\t0\t";
    append_number(b, x.time);
    b.push_back('\t');
    if (terms) {
      for (uint32_t k = terms->offsets[r]; k < terms->offsets[r + 1]; ++k) {
        if (k != terms->offsets[r]) b.push_back('|');
        b += genre_names.at(terms->entries[k].genre);
        b.push_back('=');
        append_number(b, terms->entries[k].weight);
      }
    }
    w.end_line();
  }
  w.close();
}

std::vector<Rating> read_rating_rows(const std::string& path, std::vector<std::vector<WeightedTerm>>* terms) {
  std::vector<Rating> rows;
  if (terms) terms->clear();
  read_tsv(path, "user\t", 6, [&](const LineContext& ctx, const std::vector<std::string_view>& f) {
    Rating r;
    const int64_t user = ctx.to_int(f[0], "user id");
    const int64_t item = ctx.to_int(f[1], "item id");
    if (user < 0 || user > 0xffffffffLL || item < 0 || item > 0xffffffffLL) ctx.fail("id out of range");
    r.user = static_cast<Id>(user);
    r.item = static_cast<Id>(item);
    const double rating = ctx.to_double(f[2], "rating");
    if (rating < 0.5 || rating > 5) ctx.fail("rating out of range 0.5-5");
    r.rating = static_cast<float>(rating);
    const int64_t label = ctx.to_int(f[3], "label");
    if (label != (is_positive(r) ? 1 : 0)) ctx.fail("label disagrees with rating (label = rating > 3)");
    r.time = ctx.to_int(f[4], "time");
    rows.push_back(r);
    if (terms) terms->push_back(parse_weighted(ctx, f[5]));
  });
  return rows;
}

}  // namespace reco_offline
