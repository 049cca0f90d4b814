// Arguments of one Redis command, built without a Redis library: the loader
// builds millions of these, so they live in one reusable byte arena (no
// per-argument allocation), and can be encoded to RESP directly for a
// pipelined connection. Binary-safe (FP32 vector blobs).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace reco_offline {

class CommandArgs {
 public:
  void clear() {
    arena_.clear();
    spans_.clear();
  }
  CommandArgs& add(std::string_view arg) {
    spans_.push_back({arena_.size(), arg.size()});
    arena_.append(arg);
    return *this;
  }
  CommandArgs& add_int(int64_t v);
  CommandArgs& add_double(double v);  // shortest text that reads back as the same double
  CommandArgs& add_float(float v);    // shortest text that reads back as the same float
  // Little-endian float32 blob, the module's FP32 vector encoding.
  CommandArgs& add_fp32(const float* values, size_t n);

  size_t size() const { return spans_.size(); }
  std::string_view operator[](size_t i) const { return std::string_view(arena_).substr(spans_[i].first, spans_[i].second); }
  std::vector<std::string> to_strings() const;
  // Appends the RESP array-of-bulk-strings encoding to `out`.
  void encode_resp(std::string& out) const;

 private:
  std::string arena_;
  std::vector<std::pair<size_t, size_t>> spans_;
};

}  // namespace reco_offline
