// Reading delimited text files line by line with errors that name the file and
// the line. Every reader of the offline tools goes through here so that a bad
// line anywhere is reported the same way ("file:line: what is wrong") and the
// tool stops before anything is written or loaded.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace reco_offline {

// Any problem with input data: unreadable file, malformed line, inconsistent ids.
class DataError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Whole file in memory: the data sets here are at most a few hundred MB and
// one read is much faster than getline.
std::string read_whole_file(const std::string& path);

// Iterates the lines of a text buffer; tolerates \r\n endings and a missing final newline.
class LineCursor {
 public:
  explicit LineCursor(std::string_view text) : text_(text) {}
  bool next(std::string_view& line);
  size_t line_number() const { return line_no_; }

 private:
  std::string_view text_;
  size_t pos_ = 0;
  size_t line_no_ = 0;
};

// Splits on a (possibly multi-character) delimiter; fields are views into `line`.
void split_fields(std::string_view line, std::string_view delim, std::vector<std::string_view>& out);

// Splits one CSV record (RFC 4180 quoting, no embedded newlines). Returns false on a
// broken quote. `storage` owns unescaped fields.
bool split_csv(std::string_view line, char delim, std::vector<std::string>& out);

std::string_view trim(std::string_view s);

bool parse_int(std::string_view s, int64_t& out);
bool parse_double(std::string_view s, double& out);
// The shortest text that parses back to exactly `v`.
std::string shortest_text(double v);

// Where a line came from; turns parse failures into DataError("file:line: ...").
struct LineContext {
  std::string file;
  size_t line = 0;
  std::string_view text;

  [[noreturn]] void fail(const std::string& message) const;
  int64_t to_int(std::string_view field, const char* what) const;
  double to_double(std::string_view field, const char* what) const;
  void expect_fields(size_t got, size_t want, std::string_view delim) const;
};

// MovieLens 1M and 100K files are ISO-8859-1; everything we write is UTF-8.
// Valid UTF-8 is returned unchanged, anything else is read as Latin-1.
std::string to_utf8(std::string_view s);

}  // namespace reco_offline
