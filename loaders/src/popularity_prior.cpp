// Popularity prior: choice of alpha and the extra dimension (see popularity_prior.hpp).
#include "reco_offline/popularity_prior.hpp"

#include <algorithm>
#include <cmath>
#include <unordered_set>

namespace reco_offline {

PriorChoice choose_popularity_prior(const MfModel& model, const std::vector<Rating>& train,
                                    const std::vector<Rating>& test, const std::vector<double>& grid, size_t k,
                                    size_t max_users) {
  PriorChoice choice;
  const auto n_items = model.items.rows();
  const auto row_of = [](const std::vector<Id>& ids, Id id) -> long {
    const auto it = std::lower_bound(ids.begin(), ids.end(), id);
    return it != ids.end() && *it == id ? static_cast<long>(it - ids.begin()) : -1;
  };
  Eigen::VectorXf log_pop = Eigen::VectorXf::Zero(n_items);
  for (Eigen::Index i = 0; i < n_items; ++i) log_pop[i] = std::log1p(static_cast<float>(model.item_train_count[i]));

  // Users with test rows, in id order.
  std::vector<std::pair<long, std::vector<long>>> users;  // user row, relevant item rows
  {
    std::unordered_map<long, size_t> at;
    for (const auto& r : test) {
      const long u = row_of(model.user_ids, r.user), i = row_of(model.item_ids, r.item);
      if (u < 0 || i < 0) continue;
      auto [it, inserted] = at.emplace(u, users.size());
      if (inserted) users.push_back({u, {}});
      users[it->second].second.push_back(i);
    }
    std::sort(users.begin(), users.end());
    if (users.size() > max_users) users.resize(max_users);
  }
  std::unordered_map<long, std::vector<long>> seen;
  for (const auto& r : train) {
    const long u = row_of(model.user_ids, r.user), i = row_of(model.item_ids, r.item);
    if (u >= 0 && i >= 0) seen[u].push_back(i);
  }

  std::vector<double> hits(grid.size(), 0.0);
  Eigen::VectorXf scores(n_items);
  std::vector<std::pair<float, long>> ranked;
  for (const auto& [u, relevant] : users) {
    const Eigen::VectorXf base = model.items * model.users.row(u).transpose();
    const std::unordered_set<long> rel(relevant.begin(), relevant.end());
    std::vector<char> excluded(static_cast<size_t>(n_items), 0);
    for (long i : seen[u]) excluded[static_cast<size_t>(i)] = 1;
    for (size_t g = 0; g < grid.size(); ++g) {
      scores = base + static_cast<float>(grid[g]) * log_pop;
      ranked.clear();
      for (Eigen::Index i = 0; i < n_items; ++i)
        if (!excluded[static_cast<size_t>(i)]) ranked.emplace_back(-scores[i], static_cast<long>(i));
      const size_t top = std::min(k, ranked.size());
      std::partial_sort(ranked.begin(), ranked.begin() + static_cast<long>(top), ranked.end());
      for (size_t r = 0; r < top; ++r) {
        if (rel.count(ranked[r].second)) {
          hits[g] += 1;
          break;
        }
      }
    }
  }
  double best = -1;
  for (size_t g = 0; g < grid.size(); ++g) {
    const double hr = users.empty() ? 0.0 : hits[g] / static_cast<double>(users.size());
    choice.tried.emplace_back(grid[g], hr);
    if (hr > best) {
      best = hr;
      choice.alpha = grid[g];
    }
  }
  return choice;
}

float append_popularity_prior(FactorTable& users, FactorTable& items,
                              const std::unordered_map<std::string, double>& popularity, double alpha) {
  const Eigen::Index d = items.vectors.cols();
  std::vector<float> lp(items.ids.size());
  double lp_sq = 0;
  for (size_t r = 0; r < items.ids.size(); ++r) {
    const auto it = popularity.find(items.ids[r]);
    lp[r] = std::log1p(static_cast<float>(it == popularity.end() ? 0.0 : it->second));
    lp_sq += static_cast<double>(lp[r]) * lp[r];
  }
  // s: make the new coordinate's RMS equal to the RMS of the existing ones.
  const double coord_rms = items.vectors.size() ? std::sqrt(items.vectors.squaredNorm() / items.vectors.size()) : 1.0;
  const double lp_rms = items.ids.empty() ? 1.0 : std::sqrt(lp_sq / items.ids.size());
  const float s = static_cast<float>(lp_rms > 0 && coord_rms > 0 ? coord_rms / lp_rms : 1.0);

  FactorMatrix item_aug(items.vectors.rows(), d + 1);
  item_aug.leftCols(d) = items.vectors;
  for (size_t r = 0; r < lp.size(); ++r) item_aug(static_cast<Eigen::Index>(r), d) = s * lp[r];
  items.vectors = std::move(item_aug);

  FactorMatrix user_aug(users.vectors.rows(), d + 1);
  user_aug.leftCols(d) = users.vectors;
  user_aug.col(d).setConstant(static_cast<float>(alpha / s));
  users.vectors = std::move(user_aug);
  return s;
}

}  // namespace reco_offline
