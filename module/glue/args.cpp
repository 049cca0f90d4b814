// The argument cursor (see args.hpp): every parse error of every command is worded here.
#include "args.hpp"
#include "limits.hpp"

#include <algorithm>
#include <charconv>

#include "reco/catalog.hpp"
#include "reco/error.hpp"
#include "reco/vector_codec.hpp"

namespace reco::glue {

namespace {

std::string text(std::string_view s) { return std::string(s); }

bool parse_integer(std::string_view s, long long& out) {
  // from_chars rejects spaces and '+', which is what a strict integer should do.
  if (s.empty()) return false;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && end == s.data() + s.size();
}

}  // namespace

bool equals_nocase(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    unsigned char x = static_cast<unsigned char>(a[i]);
    unsigned char y = static_cast<unsigned char>(b[i]);
    if (x >= 'a' && x <= 'z') x = static_cast<unsigned char>(x - 'a' + 'A');
    if (y >= 'a' && y <= 'z') y = static_cast<unsigned char>(y - 'a' + 'A');
    if (x != y) return false;
  }
  return true;
}

std::string quoted(std::string_view s) {
  constexpr std::size_t kMax = 64;
  std::string out = "'";
  for (std::size_t i = 0; i < s.size() && i < kMax; ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    out.push_back(c < 0x20 || c == 0x7f ? '?' : static_cast<char>(c));
  }
  if (s.size() > kMax) out += "...";
  out += "'";
  return out;
}

std::string_view ArgCursor::next(std::string_view what) {
  if (done()) throw Error("missing " + text(what));
  return args_[pos_++];
}

bool ArgCursor::accept(std::string_view keyword) {
  if (!done() && equals_nocase(args_[pos_], keyword)) {
    ++pos_;
    return true;
  }
  return false;
}

std::string_view ArgCursor::next_option(std::span<const std::string_view> known) {
  std::string_view arg = next("option");
  for (std::string_view k : known) {
    if (equals_nocase(arg, k)) return k;
  }
  throw Error("unknown option " + quoted(arg));
}

long long ArgCursor::next_integer(std::string_view what, long long min, long long max) {
  auto fail = [&]() -> Error {
    return Error(text(what) + " must be an integer between " + std::to_string(min) + " and " +
                 std::to_string(max));
  };
  if (done()) throw fail();
  long long v;
  if (!parse_integer(args_[pos_], v) || v < min || v > max) throw fail();
  ++pos_;
  return v;
}

double ArgCursor::next_finite_double(std::string_view what) {
  if (done()) throw Error(text(what) + " must be a finite number");
  double v;
  if (!parse_finite_double(args_[pos_], v)) throw Error(text(what) + " must be a finite number");
  ++pos_;
  return v;
}

double ArgCursor::next_double_at_least(std::string_view what, double min) {
  auto fail = [&]() -> Error {
    char buf[32];
    auto r = std::to_chars(buf, buf + sizeof buf, min);
    return Error(text(what) + " must be a finite number >= " + std::string(buf, r.ptr));
  };
  if (done()) throw fail();
  double v;
  if (!parse_finite_double(args_[pos_], v) || v < min) throw fail();
  ++pos_;
  return v;
}

VectorArg ArgCursor::next_vector(std::string_view keyword) {
  VectorArg v;
  if (equals_nocase(keyword, "FP32")) {
    v.fp32 = true;
    if (done()) throw Error("FP32 needs a blob of little-endian float32 values");
    v.blob = args_[pos_++];
    return v;
  }
  v.values = next_counted("VALUES", 1);
  return v;
}

std::vector<std::string_view> ArgCursor::next_counted(std::string_view option,
                                                      std::size_t per_entry) {
  long long n;
  if (done() || !parse_integer(args_[pos_], n) || n < 0) {
    throw Error(text(option) + " count must be a non-negative integer");
  }
  check_cap(text(option) + " count", n, "max-list", limits().max_list);
  ++pos_;
  // Compare without multiplying: n may be huge.
  std::size_t have = remaining();
  if (static_cast<unsigned long long>(n) > have / per_entry) {
    throw Error(text(option) + " count " + std::to_string(n) + " needs " + std::to_string(n) +
                (per_entry == 1 ? " arguments" : " pairs") + ", only " + std::to_string(have) +
                (have == 1 ? " argument follows" : " arguments follow"));
  }
  std::size_t take = static_cast<std::size_t>(n) * per_entry;
  std::vector<std::string_view> out(args_.begin() + static_cast<std::ptrdiff_t>(pos_),
                                    args_.begin() + static_cast<std::ptrdiff_t>(pos_ + take));
  pos_ += take;
  return out;
}

void OptionsSeen::mark(std::string_view option) {
  for (const auto& s : seen_) {
    if (equals_nocase(s, option)) throw Error("option " + quoted(option) + " given more than once");
  }
  seen_.emplace_back(option);
}

bool OptionsSeen::has(std::string_view option) const {
  for (const auto& s : seen_)
    if (equals_nocase(s, option)) return true;
  return false;
}

std::vector<float> vector_for_catalog(const VectorArg& v, std::size_t dim) {
  if (v.fp32) return decode_fp32(v.blob, dim);
  if (v.values.size() != dim) {
    throw Error("VALUES count " + std::to_string(v.values.size()) +
                " does not match catalog dimension " + std::to_string(dim));
  }
  return parse_values(v.values);
}

std::vector<float> vector_any_dim(const VectorArg& v) {
  if (v.fp32) {
    if (v.blob.empty() || v.blob.size() % sizeof(float) != 0 ||
        v.blob.size() / sizeof(float) > kMaxDim) {
      throw Error("FP32 blob must hold 1 to " + std::to_string(kMaxDim) +
                  " little-endian float32 values (a multiple of 4 bytes), got " +
                  std::to_string(v.blob.size()) + " bytes");
    }
    return decode_fp32(v.blob, v.blob.size() / sizeof(float));
  }
  if (v.values.empty() || v.values.size() > kMaxDim) {
    throw Error("VALUES count must be between 1 and " + std::to_string(kMaxDim));
  }
  return parse_values(v.values);
}

void reject_duplicates(std::string_view option, std::span<const std::string_view> entries,
                       std::size_t per_entry) {
  std::vector<std::string_view> names;
  names.reserve(entries.size() / per_entry);
  for (std::size_t i = 0; i < entries.size(); i += per_entry) names.push_back(entries[i]);
  std::sort(names.begin(), names.end());
  auto dup = std::adjacent_find(names.begin(), names.end());
  if (dup != names.end()) throw Error(text(option) + " lists " + quoted(*dup) + " twice");
}

}  // namespace reco::glue
