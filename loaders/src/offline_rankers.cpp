// Offline reference rankings (see offline_rankers.hpp).
#include "reco_offline/offline_rankers.hpp"

#include <algorithm>
#include <numeric>

namespace reco_offline {

PopularityRanker::PopularityRanker(const std::vector<ItemRecord>& items) {
  std::vector<size_t> idx(items.size());
  std::iota(idx.begin(), idx.end(), size_t{0});
  std::stable_sort(idx.begin(), idx.end(), [&](size_t a, size_t b) {
    if (items[a].popularity != items[b].popularity) return items[a].popularity > items[b].popularity;
    return items[a].time > items[b].time;
  });
  order_.reserve(items.size());
  for (size_t i : idx) order_.push_back(items[i].id);
}

std::vector<std::string> PopularityRanker::top(size_t k, const std::unordered_set<std::string>& exclude) const {
  std::vector<std::string> out;
  for (const auto& id : order_) {
    if (out.size() >= k) break;
    if (!exclude.count(id)) out.push_back(id);
  }
  return out;
}

std::vector<std::string> VectorRanker::top(const float* user, size_t k,
                                           const std::unordered_set<std::string>& exclude) const {
  std::vector<std::string> out;
  if (!user || k == 0) return out;
  const Eigen::Index n = items_.vectors.rows(), d = items_.vectors.cols();
  const Eigen::Map<const Eigen::VectorXf> u(user, d);
  const Eigen::VectorXf scores = items_.vectors * u;
  std::vector<std::pair<float, Eigen::Index>> heap;  // min-heap of the best k
  heap.reserve(k + 1);
  const auto worse = [](const auto& a, const auto& b) { return a.first > b.first || (a.first == b.first && a.second < b.second); };
  for (Eigen::Index r = 0; r < n; ++r) {
    if (heap.size() == k && scores[r] <= heap.front().first) continue;
    if (exclude.count(items_.ids[static_cast<size_t>(r)])) continue;
    heap.emplace_back(scores[r], r);
    std::push_heap(heap.begin(), heap.end(), worse);
    if (heap.size() > k) {
      std::pop_heap(heap.begin(), heap.end(), worse);
      heap.pop_back();
    }
  }
  std::sort_heap(heap.begin(), heap.end(), worse);
  for (const auto& [s, r] : heap) out.push_back(items_.ids[static_cast<size_t>(r)]);
  return out;
}

}  // namespace reco_offline
