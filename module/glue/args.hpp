// Reading a command's arguments, left to right, with one message style for every mistake.
//
// Commands parse everything before they change anything, so the cursor only reads and
// throws reco::Error (the caller replies "ERR <message>"). It works on string views of the
// argv strings and holds no Redis type, which keeps parsing rules in one place and free of
// the module API. Keywords match case-insensitively, as Redis's own options do.
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace reco::glue {

// A vector as it appeared in the arguments; converted once the expected size is known.
struct VectorArg {
  bool fp32 = false;
  std::string_view blob;                // FP32 <blob>
  std::vector<std::string_view> values; // VALUES <n> v1..vn
};

class ArgCursor {
 public:
  explicit ArgCursor(std::span<const std::string_view> args, std::size_t start = 0)
      : args_(args), pos_(start) {}

  bool done() const noexcept { return pos_ >= args_.size(); }
  std::size_t remaining() const noexcept { return done() ? 0 : args_.size() - pos_; }

  // The next argument; `what` names it in the error if there is none.
  std::string_view next(std::string_view what);
  // Consumes the next argument if it equals `keyword` (case-insensitive).
  bool accept(std::string_view keyword);
  // Consumes an option name; throws "unknown option 'X'" if it is none of `known`.
  // Returns the canonical (upper-case) spelling from `known`.
  std::string_view next_option(std::span<const std::string_view> known);

  long long next_integer(std::string_view what, long long min, long long max);
  double next_finite_double(std::string_view what);
  // A finite double that is also >= min.
  double next_double_at_least(std::string_view what, double min);

  // After the keyword FP32 or VALUES has been consumed (`keyword` says which).
  VectorArg next_vector(std::string_view keyword);
  // `<n> a1 .. a(n*per_entry)`: a count, then that many entries of `per_entry` arguments.
  std::vector<std::string_view> next_counted(std::string_view option, std::size_t per_entry);

 private:
  std::span<const std::string_view> args_;
  std::size_t pos_;
};

bool equals_nocase(std::string_view a, std::string_view b) noexcept;

// An argument quoted into a message: at most 64 bytes, control bytes shown as '?', so that an
// id cannot break the reply protocol or flood a log.
std::string quoted(std::string_view s);

// Throws if the same option appears twice in one command.
class OptionsSeen {
 public:
  void mark(std::string_view option);
  bool has(std::string_view option) const;

 private:
  std::vector<std::string> seen_;
};

// FP32 blob or VALUES list -> floats, checked against a catalog's dimension.
std::vector<float> vector_for_catalog(const VectorArg& v, std::size_t dim);
// FP32 blob or VALUES list -> floats of any size in 1..kMaxDim (user vectors).
std::vector<float> vector_any_dim(const VectorArg& v);

// Throws if a name occurs twice among the entries at index 0, per, 2*per, ...
void reject_duplicates(std::string_view option, std::span<const std::string_view> entries,
                       std::size_t per_entry);

}  // namespace reco::glue
