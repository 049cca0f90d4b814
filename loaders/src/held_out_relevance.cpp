// The held-out users with both relevance sets (see held_out_relevance.hpp).
#include "reco_offline/held_out_relevance.hpp"

#include <map>

namespace reco_offline {

std::vector<HeldOutUser> held_out_users(const std::vector<Rating>& holdout, size_t max_users) {
  std::map<Id, HeldOutUser> by_user;
  for (const auto& r : holdout) {
    auto& u = by_user[r.user];
    u.id = std::to_string(r.user);
    const std::string item = std::to_string(r.item);
    u.all.insert(item);
    if (is_positive(r)) u.liked.insert(item);
  }
  std::vector<HeldOutUser> users;
  users.reserve(by_user.size());
  for (auto& [id, u] : by_user) {
    if (max_users && users.size() >= max_users) break;
    users.push_back(std::move(u));
  }
  return users;
}

}  // namespace reco_offline
