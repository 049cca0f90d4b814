// CommandArgs encoding (see command_args.hpp).
#include "reco_offline/command_args.hpp"

#include <bit>
#include <charconv>
#include <cstring>

namespace reco_offline {

CommandArgs& CommandArgs::add_int(int64_t v) {
  char buf[24];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  return add(std::string_view(buf, static_cast<size_t>(r.ptr - buf)));
}

CommandArgs& CommandArgs::add_double(double v) {
  char buf[32];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  return add(std::string_view(buf, static_cast<size_t>(r.ptr - buf)));
}

CommandArgs& CommandArgs::add_float(float v) {
  char buf[32];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  return add(std::string_view(buf, static_cast<size_t>(r.ptr - buf)));
}

CommandArgs& CommandArgs::add_fp32(const float* values, size_t n) {
  static_assert(std::endian::native == std::endian::little, "FP32 blobs are little-endian; add a byte swap here");
  spans_.push_back({arena_.size(), n * sizeof(float)});
  arena_.append(reinterpret_cast<const char*>(values), n * sizeof(float));
  return *this;
}

std::vector<std::string> CommandArgs::to_strings() const {
  std::vector<std::string> out;
  out.reserve(spans_.size());
  for (size_t i = 0; i < spans_.size(); ++i) out.emplace_back((*this)[i]);
  return out;
}

void CommandArgs::encode_resp(std::string& out) const {
  char buf[24];
  const auto header = [&](char type, size_t n) {
    out.push_back(type);
    const auto r = std::to_chars(buf, buf + sizeof buf, n);
    out.append(buf, r.ptr);
    out.append("\r\n");
  };
  header('*', spans_.size());
  for (const auto& [offset, len] : spans_) {
    header('$', len);
    out.append(arena_, offset, len);
    out.append("\r\n");
  }
}

}  // namespace reco_offline
