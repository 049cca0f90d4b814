// A progress bar on stderr for long loads: redrawn at most ten times a second
// (drawing must not cost throughput), only when stderr is a terminal unless
// forced, and always ending with the line completed.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace reco_offline {

class ProgressBar {
 public:
  enum class Mode { Auto, Always, Never };
  ProgressBar(std::string label, uint64_t total, Mode mode = Mode::Auto);
  ~ProgressBar();
  void update(uint64_t done, uint64_t errors = 0);
  void finish(uint64_t done, uint64_t errors = 0);

 private:
  void draw(uint64_t done, uint64_t errors);
  std::string label_;
  uint64_t total_;
  bool enabled_;
  bool finished_ = false;
  std::chrono::steady_clock::time_point start_, last_draw_;
};

}  // namespace reco_offline
