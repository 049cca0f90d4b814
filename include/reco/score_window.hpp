// The served scores of one model version over a recent window: mean and standard deviation,
// the drift signal a model monitor watches (a shift against the offline scores, or between
// the two arms of an A/B split).
//
// Why it is shaped so: queries score on several worker threads at once, and what is wanted is
// the recent past, not the total since load. Each request sums its batch alone, then adds the
// three sums to the current bucket under a short mutex (one lock per request, not per
// score); a bucket holds kRequestsPerBucket requests, and the window is the current bucket
// plus the one before it, so it always covers between 1x and 2x that many of the latest
// requests. State: shared by the query threads, guarded by the mutex; the only thing a
// query writes besides the request counters (statistics, read by RECO.MODEL.INFO).
#pragma once

#include <cstdint>
#include <mutex>
#include <span>

namespace reco {

class ScoreWindow {
 public:
  static constexpr std::uint64_t kRequestsPerBucket = 1000;

  struct Summary {
    std::uint64_t requests = 0;  // in the window
    std::uint64_t scores = 0;
    double mean = 0, stddev = 0;  // 0 when the window is empty
  };

  // One request's scores (non-finite ones are left out of the sums).
  void add(std::span<const float> scores) noexcept {
    Bucket b;
    b.requests = 1;
    for (float s : scores) {
      const double x = s;
      if (!(x - x == 0.0)) continue;  // NaN or infinite
      ++b.n;
      b.sum += x;
      b.sq += x * x;
    }
    std::lock_guard<std::mutex> lock(mu_);
    cur_.requests += b.requests;
    cur_.n += b.n;
    cur_.sum += b.sum;
    cur_.sq += b.sq;
    if (cur_.requests >= kRequestsPerBucket) {
      prev_ = cur_;
      cur_ = Bucket{};
    }
  }

  Summary summary() const noexcept {
    Bucket w;
    {
      std::lock_guard<std::mutex> lock(mu_);
      w.requests = cur_.requests + prev_.requests;
      w.n = cur_.n + prev_.n;
      w.sum = cur_.sum + prev_.sum;
      w.sq = cur_.sq + prev_.sq;
    }
    Summary s;
    s.requests = w.requests;
    s.scores = w.n;
    if (w.n > 0) {
      s.mean = w.sum / static_cast<double>(w.n);
      const double var = w.sq / static_cast<double>(w.n) - s.mean * s.mean;
      s.stddev = var > 0 ? __builtin_sqrt(var) : 0.0;
    }
    return s;
  }

 private:
  struct Bucket {
    std::uint64_t requests = 0, n = 0;
    double sum = 0, sq = 0;
  };
  mutable std::mutex mu_;
  Bucket cur_, prev_;
};

}  // namespace reco
