// Line and field handling shared by all readers (see text_input.hpp).
#include "reco_offline/text_input.hpp"

#include <charconv>
#include <cmath>
#include <fstream>
#include <sstream>

namespace reco_offline {

std::string read_whole_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw DataError(path + ": cannot open for reading");
  in.seekg(0, std::ios::end);
  const auto size = in.tellg();
  if (size < 0) throw DataError(path + ": cannot determine size");
  std::string data(static_cast<size_t>(size), '\0');
  in.seekg(0);
  if (size > 0 && !in.read(data.data(), size)) throw DataError(path + ": read failed");
  return data;
}

bool LineCursor::next(std::string_view& line) {
  if (pos_ >= text_.size()) return false;
  size_t end = text_.find('\n', pos_);
  if (end == std::string_view::npos) end = text_.size();
  line = text_.substr(pos_, end - pos_);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  pos_ = end + 1;
  ++line_no_;
  return true;
}

void split_fields(std::string_view line, std::string_view delim, std::vector<std::string_view>& out) {
  out.clear();
  size_t start = 0;
  while (true) {
    const size_t at = line.find(delim, start);
    if (at == std::string_view::npos) {
      out.push_back(line.substr(start));
      return;
    }
    out.push_back(line.substr(start, at - start));
    start = at + delim.size();
  }
}

bool split_csv(std::string_view line, char delim, std::vector<std::string>& out) {
  out.clear();
  std::string field;
  size_t i = 0;
  while (true) {
    field.clear();
    if (i < line.size() && line[i] == '"') {
      ++i;
      while (true) {
        if (i >= line.size()) return false;  // unterminated quote
        if (line[i] == '"') {
          if (i + 1 < line.size() && line[i + 1] == '"') {
            field.push_back('"');
            i += 2;
            continue;
          }
          ++i;
          break;
        }
        field.push_back(line[i++]);
      }
      if (i < line.size() && line[i] != delim) return false;  // junk after closing quote
    } else {
      while (i < line.size() && line[i] != delim) field.push_back(line[i++]);
    }
    out.push_back(field);
    if (i >= line.size()) return true;
    ++i;  // skip delimiter
  }
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool parse_int(std::string_view s, int64_t& out) {
  s = trim(s);
  if (s.empty()) return false;
  if (s.front() == '+') s.remove_prefix(1);
  const auto r = std::from_chars(s.data(), s.data() + s.size(), out);
  return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

bool parse_double(std::string_view s, double& out) {
  s = trim(s);
  if (s.empty()) return false;
  if (s.front() == '+') s.remove_prefix(1);
  const auto r = std::from_chars(s.data(), s.data() + s.size(), out);
  return r.ec == std::errc() && r.ptr == s.data() + s.size() && std::isfinite(out);
}

void LineContext::fail(const std::string& message) const {
  std::ostringstream msg;
  msg << file << ":" << line << ": " << message;
  if (!text.empty()) {
    std::string_view shown = text.substr(0, 120);
    msg << " (line: \"" << to_utf8(shown) << (text.size() > 120 ? "...\"" : "\"") << ")";
  } else {
    msg << " (empty line)";
  }
  throw DataError(msg.str());
}

int64_t LineContext::to_int(std::string_view field, const char* what) const {
  int64_t v = 0;
  if (!parse_int(field, v)) fail(std::string(what) + " is not an integer: \"" + std::string(field) + "\"");
  return v;
}

double LineContext::to_double(std::string_view field, const char* what) const {
  double v = 0;
  if (!parse_double(field, v)) fail(std::string(what) + " is not a number: \"" + std::string(field) + "\"");
  return v;
}

void LineContext::expect_fields(size_t got, size_t want, std::string_view delim) const {
  if (got != want) {
    fail("expected " + std::to_string(want) + " fields separated by '" + std::string(delim) + "', got " +
         std::to_string(got));
  }
}

namespace {
bool valid_utf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xe ? 3 : (c >> 3) == 0x1e ? 4 : 0;
    if (len == 0 || i + len > s.size()) return false;
    for (size_t k = 1; k < len; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) >> 6) != 0x2) return false;
    }
    i += len;
  }
  return true;
}
}  // namespace

std::string to_utf8(std::string_view s) {
  if (valid_utf8(s)) return std::string(s);
  std::string out;
  out.reserve(s.size() + 8);
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x80) {
      out.push_back(ch);
    } else {
      out.push_back(static_cast<char>(0xc0 | (c >> 6)));
      out.push_back(static_cast<char>(0x80 | (c & 0x3f)));
    }
  }
  return out;
}

std::string shortest_text(double v) {
  char buf[32];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, static_cast<size_t>(r.ptr - buf));
}

}  // namespace reco_offline
