// Item rows of a model (see reco/model_items.hpp).
//
// Growth doubles the bound, so a catalog filled one item at a time re-copies the table a
// logarithmic number of times rather than on every insert.
#include "reco/model_items.hpp"

#include <algorithm>
#include <cstring>
#include <vector>

#include "reco/error.hpp"

namespace reco {

ItemTable::ItemTable(std::shared_ptr<const Model> model) : model_(std::move(model)) {
  if (!model_) throw Error("model: item table needs a model");
}

void ItemTable::grow(std::uint32_t bound) {
  if (bound <= bound_) return;
  const std::size_t w = model_->item_width();
  std::uint64_t target = std::max<std::uint64_t>(bound, std::uint64_t(bound_) * 2);
  target = std::min<std::uint64_t>(std::max<std::uint64_t>(target, 16), UINT32_MAX);
  target = std::max<std::uint64_t>(target, bound);
  rows_.resize(std::size_t(target) * w, 0.0f);
  bound_ = static_cast<std::uint32_t>(target);
}

void ItemTable::build(const ItemSource& items) {
  rows_.clear();
  bound_ = 0;
  grow(items.id_bound());
  const std::size_t w = model_->item_width();
  items.for_each_item([&](std::uint32_t dense, std::string_view id, const Item& item) {
    if (dense >= bound_) grow(dense + 1);
    model_->prepare_item(id, item, rows_.data() + std::size_t(dense) * w);
  });
}

void ItemTable::on_item(std::uint32_t dense, std::string_view id, const Item& item) {
  const std::size_t w = model_->item_width();
  std::vector<float> row(w);
  model_->prepare_item(id, item, row.data());
  if (dense == UINT32_MAX) throw Error("model: dense id out of range");
  grow(dense + 1);
  std::memcpy(rows_.data() + std::size_t(dense) * w, row.data(), w * sizeof(float));
}

void ItemTable::on_remove(std::uint32_t dense) noexcept {
  if (dense >= bound_) return;
  const std::size_t w = model_->item_width();
  std::fill(rows_.begin() + std::size_t(dense) * w, rows_.begin() + std::size_t(dense + 1) * w, 0.0f);
}

void ItemTable::score(const UserSide& user, std::span<const std::uint32_t> dense_ids,
                      std::span<float> out) const {
  std::uint32_t worst = 0;
  for (std::uint32_t d : dense_ids) worst = std::max(worst, d);
  if (!dense_ids.empty() && worst >= bound_)
    throw Error("model: candidate dense id " + std::to_string(worst) + " has no item row");
  model_->score(user, rows_.data(), dense_ids, out);
}

}  // namespace reco
