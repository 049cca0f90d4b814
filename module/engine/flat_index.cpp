// Exact scan index (see reco/flat_index.hpp).
//
// Saved form (after the kind tag): format version, id bound, then the ids in chunks of
// kSaveChunk, each chunk one byte string holding, per id, a presence byte and (if present)
// the stored vector as little-endian floats. Norms are derived, not saved. A chunk is
// parsed with bounds checks, so a forged id bound ends in an exhausted input, never in an
// allocation larger than the input.
#include "reco/flat_index.hpp"

#include <Eigen/Core>
#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>

#include "reco/codec.hpp"
#include "reco/error.hpp"
#include "reco/kernels.hpp"

namespace reco {
namespace {

// Rows scored per product: the score buffer stays in L1 and the rows stream from memory once.
constexpr std::size_t kChunkRows = 1024;


}  // namespace

FlatIndex::FlatIndex(std::size_t dim, Metric metric) : dim_(dim), metric_(metric) {
  if (dim == 0) throw Error("dimension must be at least 1");
}

void FlatIndex::reserve(std::size_t need) {
  // Geometric in ids so that loading n items costs O(n) copies.
  if (live_.capacity() >= need) return;
  std::size_t cap = std::max<std::size_t>(need, live_.capacity() * 2);
  rows_.reserve(cap * dim_);
  norms2_.reserve(cap);
  live_.reserve(cap);
}

void FlatIndex::set(std::uint32_t id, std::span<const float> v, bool stored_form) {
  if (v.size() != dim_) throw Error("vector size does not match the index dimension");
  std::size_t need = std::size_t(id) + 1;
  if (live_.size() < need) {
    reserve(need);
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

bool FlatIndex::read(std::uint32_t id, std::span<float> out) const noexcept {
  if (!contains(id) || out.size() != dim_) return false;
  std::copy_n(rows_.data() + std::size_t(id) * dim_, dim_, out.data());
  return true;
}

std::vector<Hit> FlatIndex::search(std::span<const float> query, std::size_t k,
                                   const ItemFilter& filter, const SearchParams&) const {
  if (k == 0 || count_ == 0) return {};
  if (query.size() != dim_) throw Error("query vector size does not match the index dimension");

  Eigen::VectorXf q = Eigen::Map<const Eigen::VectorXf>(query.data(), dim_);
  if (metric_ == Metric::Cosine) normalise({q.data(), dim_});
  const float q2 = q.squaredNorm();

  const kernels::Table& kern = kernels::active();
  TopK top(std::min(k, count_));
  // A short allow-list (a term constraint) is cheaper to visit id by id than the whole block.
  if (const auto* allow = filter.allowlist(); allow && allow->size() * 4 < live_.size()) {
    for (std::uint32_t id : *allow) {
      if (!contains(id)) continue;
      float s = kern.dot(rows_.data() + std::size_t(id) * dim_, q.data(), dim_);
      if (metric_ == Metric::L2) s = -(norms2_[id] - 2.0f * s + q2);
      if (!top.admits(s, id) || !filter.allows(id)) continue;
      top.push(s, id);
    }
    return top.take_sorted();
  }
  Eigen::VectorXf scores(kChunkRows);
  const std::size_t n = live_.size();
  for (std::size_t start = 0; start < n; start += kChunkRows) {
    const std::size_t rows = std::min(kChunkRows, n - start);
    // One vectorised dot product a row (Eigen's row-major matrix-vector kernel was measured
    // ~2x slower once the vectors no longer fit in cache, bench/flat_index_bench), by the
    // active kernels (reco/kernels.hpp), the chunk in one call.
    kern.dot_rows(q.data(), rows_.data() + start * dim_, dim_, dim_, rows, scores.data());
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

namespace {
constexpr std::size_t kSaveChunk = 1024;  // ids per byte string
}  // namespace

void FlatIndex::save(ByteSink& out) const {
  out.put_u64(static_cast<std::uint64_t>(VectorIndexKind::Flat));
  out.put_u64(kFormatVersion);
  const std::size_t n = live_.size();
  out.put_u64(n);
  std::string chunk;
  for (std::size_t start = 0; start < n; start += kSaveChunk) {
    chunk.clear();
    for (std::size_t id = start; id < std::min(n, start + kSaveChunk); ++id) {
      chunk.push_back(live_[id] ? 1 : 0);
      if (!live_[id]) continue;
      for (std::size_t i = 0; i < dim_; ++i) {
        std::uint32_t bits;
        std::memcpy(&bits, &rows_[id * dim_ + i], 4);
        for (int b = 0; b < 4; ++b) chunk.push_back(static_cast<char>(bits >> (8 * b)));
      }
    }
    out.put_bytes(chunk);
  }
}

std::unique_ptr<FlatIndex> FlatIndex::load(ByteSource& in, std::size_t dim, Metric metric) {
  if (in.get_u64() != static_cast<std::uint64_t>(VectorIndexKind::Flat))
    throw Error("corrupt vector index: not a flat index");
  return load_body(in, dim, metric, UINT64_MAX);
}

std::unique_ptr<FlatIndex> FlatIndex::load_body(ByteSource& in, std::size_t dim, Metric metric,
                                                std::uint64_t max_ids) {
  const std::uint64_t version = in.get_u64();
  if (version < 1 || version > kFormatVersion)
    throw Error("unsupported flat index format " + std::to_string(version));
  auto ix = std::make_unique<FlatIndex>(dim, metric);
  const std::uint64_t n = in.get_u64();
  if (n > std::uint64_t(UINT32_MAX) + 1 || n > max_ids) throw Error("corrupt flat index id bound");
  std::vector<float> v(dim);
  for (std::uint64_t start = 0; start < n; start += kSaveChunk) {
    in.yield_point();
    const std::string chunk = in.get_bytes();
    std::size_t pos = 0;
    for (std::uint64_t id = start; id < std::min<std::uint64_t>(n, start + kSaveChunk); ++id) {
      if (pos >= chunk.size()) throw Error("corrupt flat index: truncated chunk");
      const char present = chunk[pos++];
      if (present == 0) continue;
      if (present != 1 || chunk.size() - pos < dim * 4) throw Error("corrupt flat index entry");
      for (std::size_t i = 0; i < dim; ++i, pos += 4) {
        std::uint32_t bits = 0;
        for (int b = 0; b < 4; ++b)
          bits |= std::uint32_t(static_cast<unsigned char>(chunk[pos + b])) << (8 * b);
        std::memcpy(&v[i], &bits, 4);
        if (!std::isfinite(v[i])) throw Error("corrupt flat index vector value");
      }
      ix->set(static_cast<std::uint32_t>(id), v, /*stored_form=*/true);
    }
    if (pos != chunk.size()) throw Error("corrupt flat index: chunk size");
  }
  // Ids past the last present one leave no trace in set(); keep the saved bound.
  if (ix->live_.size() < n) {
    ix->rows_.resize(n * dim, 0.0f);
    ix->norms2_.resize(n, 0.0f);
    ix->live_.resize(n, 0);
  }
  return ix;
}

}  // namespace reco
