// The served scores of one model version over a recent window: mean and standard deviation,
// the drift signal a model monitor watches (a shift against the offline scores, or between
// the two arms of an A/B split); and over the same requests, per user or context field, how
// many gave it no value or only values it does not know (reco/model.hpp FieldValue).
//
// Why it is shaped so: queries score on several worker threads at once, and what is wanted is
// the recent past, not the total since load. Each request sums its batch alone, then adds the
// three sums to the current bucket under a short mutex (one lock per request, not per
// score); a bucket holds kRequestsPerBucket requests, and the window is the current bucket
// plus the one before it, so it always covers between 1x and 2x that many of the latest
// requests. State: shared by the query threads, guarded by the mutex; the only thing a
// query writes besides the request counters (statistics, read by RECO.MODEL.INFO).
#pragma once

#include <algorithm>
#include <cstdint>
#include <mutex>
#include <span>
#include <vector>

#include "reco/memory.hpp"

namespace reco {

class ScoreWindow {
 public:
  static constexpr std::uint64_t kRequestsPerBucket = 1000;

  // `fields`: how many per-field counts each request brings (the model's schema fields).
  explicit ScoreWindow(std::size_t fields = 0) {
    for (Bucket* b : {&cur_, &prev_}) {
      b->missing.assign(fields, 0);
      b->unknown.assign(fields, 0);
    }
  }

  struct Summary {
    std::uint64_t requests = 0;  // in the window
    std::uint64_t scores = 0;
    double mean = 0, stddev = 0;  // 0 when the window is empty
    std::vector<std::uint64_t> missing, unknown;  // requests, per field
  };

  // One request's scores (non-finite ones are left out of the sums) and its FieldValue per
  // field (values.size() must be the window's field count, or 0 to count none).
  void add(std::span<const float> scores, std::span<const std::uint8_t> values = {}) noexcept {
    double n = 0, sum = 0, sq = 0;
    for (float s : scores) {
      const double x = s;
      if (!(x - x == 0.0)) continue;  // NaN or infinite
      ++n;
      sum += x;
      sq += x * x;
    }
    std::lock_guard<std::mutex> lock(mu_);
    cur_.requests += 1;
    cur_.n += static_cast<std::uint64_t>(n);
    cur_.sum += sum;
    cur_.sq += sq;
    if (values.size() == cur_.missing.size()) {
      for (std::size_t i = 0; i < values.size(); ++i) {
        cur_.missing[i] += values[i] == 1;
        cur_.unknown[i] += values[i] == 2;
      }
    }
    if (cur_.requests >= kRequestsPerBucket) {
      // Swapped and cleared, not copied: a query never allocates under the lock.
      std::swap(prev_, cur_);
      cur_.clear();
    }
  }

  Summary summary() const {
    Summary s;
    Bucket w;
    {
      std::lock_guard<std::mutex> lock(mu_);
      w.requests = cur_.requests + prev_.requests;
      w.n = cur_.n + prev_.n;
      w.sum = cur_.sum + prev_.sum;
      w.sq = cur_.sq + prev_.sq;
      s.missing.assign(cur_.missing.begin(), cur_.missing.end());
      s.unknown.assign(cur_.unknown.begin(), cur_.unknown.end());
      for (std::size_t i = 0; i < s.missing.size(); ++i) {
        s.missing[i] += prev_.missing[i];
        s.unknown[i] += prev_.unknown[i];
      }
    }
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
    Vec<std::uint64_t> missing, unknown;
    void clear() noexcept {
      requests = n = 0;
      sum = sq = 0;
      std::fill(missing.begin(), missing.end(), 0);
      std::fill(unknown.begin(), unknown.end(), 0);
    }
  };
  mutable std::mutex mu_;
  Bucket cur_, prev_;
};

}  // namespace reco
