// Item rows of a model (see reco/model_items.hpp).
//
// Besides the rows, each id's item-field FieldValues (a byte per item field) and their
// totals, kept by every item write so that reading the shares costs nothing per item.
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
  const auto& fields = model_->schema().fields;
  for (std::uint32_t i = 0; i < fields.size(); ++i)
    if (fields[i].side == FieldSide::Item) item_fields_.push_back(i);
  missing_.assign(item_fields_.size(), 0);
  unknown_.assign(item_fields_.size(), 0);
}

void ItemTable::count(const std::uint8_t* values, int sign) noexcept {
  if (values[0] == kNoRow) return;
  for (std::size_t k = 0; k < item_fields_.size(); ++k) {
    if (values[k] == std::uint8_t(FieldValue::Missing)) missing_[k] += std::uint64_t(std::int64_t(sign));
    if (values[k] == std::uint8_t(FieldValue::Unknown)) unknown_[k] += std::uint64_t(std::int64_t(sign));
  }
  rows_counted_ += std::uint64_t(std::int64_t(sign));
}

ItemTable::ValueCounts ItemTable::value_counts() const {
  ValueCounts c;
  c.items = rows_counted_;
  const std::size_t F = model_->schema().fields.size();
  c.missing.assign(F, 0);
  c.unknown.assign(F, 0);
  for (std::size_t k = 0; k < item_fields_.size(); ++k) {
    c.missing[item_fields_[k]] = missing_[k];
    c.unknown[item_fields_[k]] = unknown_[k];
  }
  return c;
}

void ItemTable::grow(std::uint32_t bound) {
  if (bound <= bound_) return;
  const std::size_t w = model_->item_width();
  std::uint64_t target = std::max<std::uint64_t>(bound, std::uint64_t(bound_) * 2);
  target = std::min<std::uint64_t>(std::max<std::uint64_t>(target, 16), UINT32_MAX);
  target = std::max<std::uint64_t>(target, bound);
  const std::size_t nf = std::max<std::size_t>(item_fields_.size(), 1);
  values_.resize(std::size_t(target) * nf, kNoRow);
  rows_.resize(std::size_t(target) * w, 0.0f);
  bound_ = static_cast<std::uint32_t>(target);
}

void ItemTable::build(const ItemSource& items) {
  rows_.clear();
  values_.clear();
  bound_ = 0;
  std::fill(missing_.begin(), missing_.end(), 0);
  std::fill(unknown_.begin(), unknown_.end(), 0);
  rows_counted_ = 0;
  grow(items.id_bound());
  const std::size_t w = model_->item_width();
  const std::size_t nf = std::max<std::size_t>(item_fields_.size(), 1);
  std::vector<std::uint8_t> all(model_->schema().fields.size());
  items.for_each_item([&](std::uint32_t dense, std::string_view id, const Item& item) {
    if (dense >= bound_) grow(dense + 1);
    model_->prepare_item(id, item, rows_.data() + std::size_t(dense) * w, all.data());
    std::uint8_t* mine = values_.data() + std::size_t(dense) * nf;
    mine[0] = 0;
    for (std::size_t k = 0; k < item_fields_.size(); ++k) mine[k] = all[item_fields_[k]];
    count(mine, +1);
  });
}

void ItemTable::on_item(std::uint32_t dense, std::string_view id, const Item& item) {
  const std::size_t w = model_->item_width();
  std::vector<float> row(w);
  std::vector<std::uint8_t> all(model_->schema().fields.size());
  model_->prepare_item(id, item, row.data(), all.data());
  if (dense == UINT32_MAX) throw Error("model: dense id out of range");
  grow(dense + 1);
  std::memcpy(rows_.data() + std::size_t(dense) * w, row.data(), w * sizeof(float));
  const std::size_t nf = std::max<std::size_t>(item_fields_.size(), 1);
  std::uint8_t* mine = values_.data() + std::size_t(dense) * nf;
  count(mine, -1);
  mine[0] = 0;
  for (std::size_t k = 0; k < item_fields_.size(); ++k) mine[k] = all[item_fields_[k]];
  count(mine, +1);
}

void ItemTable::on_remove(std::uint32_t dense) noexcept {
  if (dense >= bound_) return;
  const std::size_t w = model_->item_width();
  std::fill(rows_.begin() + std::size_t(dense) * w, rows_.begin() + std::size_t(dense + 1) * w, 0.0f);
  const std::size_t nf = std::max<std::size_t>(item_fields_.size(), 1);
  std::uint8_t* mine = values_.data() + std::size_t(dense) * nf;
  count(mine, -1);
  std::fill(mine, mine + nf, kNoRow);
}

void ItemTable::score(const UserSide& user, std::span<const std::uint32_t> dense_ids,
                      std::span<float> out, const float* candidates) const {
  std::uint32_t worst = 0;
  for (std::uint32_t d : dense_ids) worst = std::max(worst, d);
  if (!dense_ids.empty() && worst >= bound_)
    throw Error("model: candidate dense id " + std::to_string(worst) + " has no item row");
  model_->score(user, rows_.data(), dense_ids, out, candidates);
}

}  // namespace reco
