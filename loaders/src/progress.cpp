// Progress bar drawing (see progress.hpp).
#include "reco_offline/progress.hpp"

#include <unistd.h>

#include <cstdio>

namespace reco_offline {

ProgressBar::ProgressBar(std::string label, uint64_t total, Mode mode)
    : label_(std::move(label)),
      total_(total),
      enabled_(mode == Mode::Always || (mode == Mode::Auto && isatty(STDERR_FILENO))),
      start_(std::chrono::steady_clock::now()),
      last_draw_(start_ - std::chrono::seconds(1)) {}

ProgressBar::~ProgressBar() {
  if (enabled_ && !finished_) std::fputc('\n', stderr);
}

void ProgressBar::update(uint64_t done, uint64_t errors) {
  if (!enabled_) return;
  const auto now = std::chrono::steady_clock::now();
  if (now - last_draw_ < std::chrono::milliseconds(100)) return;
  last_draw_ = now;
  draw(done, errors);
}

void ProgressBar::finish(uint64_t done, uint64_t errors) {
  if (!enabled_ || finished_) return;
  draw(done, errors);
  std::fputc('\n', stderr);
  finished_ = true;
}

void ProgressBar::draw(uint64_t done, uint64_t errors) {
  constexpr int width = 30;
  const double fraction = total_ ? static_cast<double>(done) / static_cast<double>(total_) : 1.0;
  const int filled = static_cast<int>(fraction * width + 0.5);
  char bar[width + 1];
  for (int i = 0; i < width; ++i) bar[i] = i < filled ? '#' : '.';
  bar[width] = '\0';
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  const double rate = secs > 0 ? static_cast<double>(done) / secs : 0.0;
  std::fprintf(stderr, "\r%-6s [%s] %3.0f%% %llu/%llu  %.0f/s  errors %llu   ", label_.c_str(), bar, fraction * 100,
               static_cast<unsigned long long>(done), static_cast<unsigned long long>(total_), rate,
               static_cast<unsigned long long>(errors));
  std::fflush(stderr);
}

}  // namespace reco_offline
