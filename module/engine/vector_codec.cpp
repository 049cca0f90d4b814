// Decoding and encoding of vectors on the wire (see reco/vector_codec.hpp).
#include "reco/vector_codec.hpp"

#include <bit>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <string>
#include <charconv>
#include <cmath>
#include <cstring>

#include "reco/error.hpp"

namespace reco {

static_assert(std::endian::native == std::endian::little,
              "FP32 blobs are little-endian; a big-endian build needs byte swapping here");

std::vector<float> decode_fp32(std::string_view blob, std::size_t dim) {
  if (blob.size() != dim * sizeof(float)) {
    throw Error("FP32 blob has " + std::to_string(blob.size()) + " bytes, expected " +
                std::to_string(dim * sizeof(float)) + " (" + std::to_string(dim) +
                " floats)");
  }
  std::vector<float> v(dim);
  if (dim) std::memcpy(v.data(), blob.data(), blob.size());
  for (std::size_t i = 0; i < dim; ++i) {
    if (!std::isfinite(v[i]))
      throw Error("vector value " + std::to_string(i) + " is not a finite number");
  }
  return v;
}

bool parse_finite_double(std::string_view s, double& out) {
  // strtod accepts leading spaces, hex, "inf" and "nan"; a value must be a plain decimal.
  if (s.empty() || s.size() > 64) return false;
  char buf[65];
  std::memcpy(buf, s.data(), s.size());
  buf[s.size()] = '\0';
  if (std::isspace(static_cast<unsigned char>(buf[0]))) return false;
  char* end = nullptr;
  errno = 0;
  double v = std::strtod(buf, &end);
  if (end != buf + s.size() || errno == ERANGE || !std::isfinite(v)) return false;
  out = v;
  return true;
}

std::vector<float> parse_values(std::span<const std::string_view> texts) {
  std::vector<float> v;
  v.reserve(texts.size());
  for (std::size_t i = 0; i < texts.size(); ++i) {
    double d;
    if (!parse_finite_double(texts[i], d) || std::fabs(d) > 3.4e38) {
      throw Error("vector value " + std::to_string(i) + " '" + std::string(texts[i].substr(0, 32)) +
                  "' is not a finite number");
    }
    v.push_back(static_cast<float>(d));
  }
  return v;
}

std::string encode_fp32(std::span<const float> v) {
  std::string out(v.size() * sizeof(float), '\0');
  if (!v.empty()) std::memcpy(out.data(), v.data(), out.size());
  return out;
}

std::string format_float(float v) {
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof(buf), v);
  return std::string(buf, r.ptr);
}

}  // namespace reco
