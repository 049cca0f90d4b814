// Exact scan index (see reco/flat_index.hpp).
#include "reco/flat_index.hpp"

#include <Eigen/Core>
#include <algorithm>
#include <cmath>

#include "reco/error.hpp"

namespace reco {
namespace {

// Rows scored per product: the score buffer stays in L1 and the rows stream from memory once.
constexpr std::size_t kChunkRows = 1024;

// Cosine stores and queries unit vectors; a zero vector stays zero (scores 0 with everything).
void normalise(std::span<float> v) {
  double n2 = 0;
  for (float x : v) n2 += double(x) * x;
  if (n2 > 0) {
    float inv = static_cast<float>(1.0 / std::sqrt(n2));
    for (float& x : v) x *= inv;
  }
}

}  // namespace

FlatIndex::FlatIndex(std::size_t dim, Metric metric) : dim_(dim), metric_(metric) {
  if (dim == 0) throw Error("dimension must be at least 1");
}

void FlatIndex::set(std::uint32_t id, std::span<const float> v, bool stored_form) {
  if (v.size() != dim_) throw Error("vector size does not match the index dimension");
  std::size_t need = std::size_t(id) + 1;
  if (live_.size() < need) {
    // Grow geometrically in ids so that loading n items costs O(n) copies.
    if (live_.capacity() < need) {
      std::size_t cap = std::max<std::size_t>(need, live_.capacity() * 2);
      rows_.reserve(cap * dim_);
      norms2_.reserve(cap);
      live_.reserve(cap);
    }
    rows_.resize(need * dim_, 0.0f);
    norms2_.resize(need, 0.0f);
    live_.resize(need, 0);
  }
  float* row = rows_.data() + std::size_t(id) * dim_;
  std::copy(v.begin(), v.end(), row);
  if (metric_ == Metric::Cosine && !stored_form) normalise({row, dim_});
  double n2 = 0;
  for (std::size_t i = 0; i < dim_; ++i) n2 += double(row[i]) * row[i];
  norms2_[id] = static_cast<float>(n2);
  if (!live_[id]) ++count_;
  live_[id] = 1;
}

void FlatIndex::remove(std::uint32_t id) {
  if (!contains(id)) return;
  std::fill_n(rows_.data() + std::size_t(id) * dim_, dim_, 0.0f);
  norms2_[id] = 0;
  live_[id] = 0;
  --count_;
}

std::span<const float> FlatIndex::get(std::uint32_t id) const noexcept {
  if (!contains(id)) return {};
  return {rows_.data() + std::size_t(id) * dim_, dim_};
}

std::vector<Hit> FlatIndex::search(std::span<const float> query, std::size_t k,
                                   const ItemFilter& filter) const {
  if (k == 0 || count_ == 0) return {};
  if (query.size() != dim_) throw Error("query vector size does not match the index dimension");

  Eigen::VectorXf q = Eigen::Map<const Eigen::VectorXf>(query.data(), dim_);
  if (metric_ == Metric::Cosine) normalise({q.data(), dim_});
  const float q2 = q.squaredNorm();

  TopK top(std::min(k, count_));
  Eigen::VectorXf scores(kChunkRows);
  const std::size_t n = live_.size();
  for (std::size_t start = 0; start < n; start += kChunkRows) {
    const std::size_t rows = std::min(kChunkRows, n - start);
    // One vectorised dot product a row: measured (bench/flat_index_bench) ~2x faster than
    // Eigen's row-major matrix-vector kernel once the vectors no longer fit in cache.
    const float* base = rows_.data() + start * dim_;
    for (std::size_t r = 0; r < rows; ++r)
      scores[r] = Eigen::Map<const Eigen::VectorXf>(base + r * dim_, dim_).dot(q);
    for (std::size_t r = 0; r < rows; ++r) {
      const std::uint32_t id = static_cast<std::uint32_t>(start + r);
      float s = scores[r];
      if (metric_ == Metric::L2) s = -(norms2_[id] - 2.0f * s + q2);
      if (!live_[id] || !top.admits(s, id) || !filter.allows(id)) continue;
      top.push(s, id);
    }
  }
  return top.take_sorted();
}

std::size_t FlatIndex::memory_bytes() const noexcept {
  return sizeof(*this) + heap_bytes(rows_) + heap_bytes(norms2_) + heap_bytes(live_);
}

}  // namespace reco
