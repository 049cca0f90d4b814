// Item-to-item scoring (see reco/item_similarity.hpp).
#include "reco/item_similarity.hpp"

#include <algorithm>
#include <cmath>
#include <optional>

#include "reco/kernels.hpp"

namespace reco {
namespace {

// Scores stored vectors against one query over the non-bias dimensions. Sums over the
// dimensions before and after the bias are taken separately (two kernel calls), rather than
// subtracting the bias term from a whole-vector sum, so that a large bias cannot cancel the
// small taste part away in float arithmetic.
class Scorer {
 public:
  Scorer(const Catalog& catalog, std::span<const float> query)
      : kt_(kernels::active()),
        dim_(catalog.dim()),
        l2_(catalog.metric() == Metric::L2),
        query_(query.begin(), query.end()) {
    if (auto b = catalog.bias_dim()) {
      bias_ = *b;
      query_[*b] = 0.0f;
    } else {
      bias_ = dim_;  // no bias: the "after" range is empty
    }
    if (!l2_) query_norm_ = std::sqrt(sum(kt_.dot, query_.data(), query_.data()));
  }

  // The query with its bias dimension zeroed: what a graph walk is asked for.
  std::span<const float> query() const noexcept { return query_; }

  float score(const float* v) const {
    if (l2_) return -sum(kt_.l2sq, query_.data(), v);
    const float norm = std::sqrt(sum(kt_.dot, v, v));
    if (!(query_norm_ > 0.0f) || !(norm > 0.0f)) return 0.0f;
    return sum(kt_.dot, query_.data(), v) / (query_norm_ * norm);
  }

 private:
  using Kernel = float (*)(const float*, const float*, std::size_t);
  float sum(Kernel f, const float* a, const float* b) const {
    float s = bias_ > 0 ? f(a, b, bias_) : 0.0f;
    if (bias_ + 1 < dim_) s += f(a + bias_ + 1, b + bias_ + 1, dim_ - bias_ - 1);
    return s;
  }

  const kernels::Table& kt_;
  std::size_t dim_;
  bool l2_;
  std::vector<float> query_;
  std::size_t bias_ = 0;
  float query_norm_ = 0.0f;
};

// Reads a stored vector without copying when the index keeps floats.
const float* stored(const VectorIndex& index, std::uint32_t id, std::vector<float>& buf) {
  auto s = index.get(id);
  if (!s.empty()) return s.data();
  buf.resize(index.dim());
  return index.read(id, buf) ? buf.data() : nullptr;
}

std::vector<Hit> exact(const Catalog& catalog, const Scorer& scorer, std::size_t k,
                       const ItemFilter& filter) {
  const VectorIndex& index = catalog.vectors();
  TopK top(k);
  std::vector<float> buf;
  auto consider = [&](std::uint32_t id) {
    if (!catalog.live(id) || !index.contains(id)) return;
    const float* v = stored(index, id, buf);
    if (!v) return;
    const float s = scorer.score(v);
    if (top.admits(s, id) && filter.allows(id)) top.push(s, id);
  };
  if (const auto* allow = filter.allowlist()) {
    for (std::uint32_t id : *allow) consider(id);
  } else {
    for (std::uint32_t id = 0; id < catalog.id_bound(); ++id) consider(id);
  }
  return top.take_sorted();
}

}  // namespace

bool item_search_is_direct(const Catalog& catalog) noexcept {
  return !catalog.bias_dim() && catalog.metric() != Metric::InnerProduct;
}

float item_score(const Catalog& catalog, std::span<const float> a, std::span<const float> b) {
  return Scorer(catalog, a).score(b.data());
}

std::vector<Hit> item_neighbours(const Catalog& catalog, std::span<const float> query, std::size_t k,
                                 const ItemFilter& filter, std::size_t ef) {
  if (item_search_is_direct(catalog)) return catalog.search(query, k, filter, ef);
  if (k == 0 || query.size() != catalog.dim()) return {};
  const Scorer scorer(catalog, query);
  if (catalog.searches_exactly()) return exact(catalog, scorer, k, filter);
  const std::size_t want = std::max({k * kItemOverfetch, kItemMinCandidates, ef});
  std::vector<Hit> cands = catalog.search(scorer.query(), want, filter, ef);
  std::vector<float> buf;
  TopK top(k);
  for (const Hit& h : cands) {
    const float* v = stored(catalog.vectors(), h.id, buf);
    if (v) top.push(scorer.score(v), h.id);
  }
  return top.take_sorted();
}

}  // namespace reco
