// Vectors as they arrive on the wire and leave in replies.
//
// Clients send either an FP32 little-endian blob (fast, what loaders use) or text values
// (what a person types in redis-cli). Both are checked here once: right size, every value
// finite. A NaN smuggled into an index would poison every score it touches.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace reco {

// Throws reco::Error unless blob is exactly dim*4 bytes of finite floats.
std::vector<float> decode_fp32(std::string_view blob, std::size_t dim);
// Throws reco::Error unless every text parses fully as a finite float.
std::vector<float> parse_values(std::span<const std::string_view> texts);
std::string encode_fp32(std::span<const float> v);
// Shortest text that reads back to the same float.
std::string format_float(float v);
// Parses a finite double (whole string); false on junk, NaN or Inf.
bool parse_finite_double(std::string_view s, double& out);

}  // namespace reco
