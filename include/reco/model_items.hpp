// The item half of a model's score, precomputed for every item of a catalog.
//
// One row of Model::item_width() floats per dense id, in one contiguous block so that the
// batch scorer reads rows at a fixed stride. Rows exist for dense ids 0..bound(); the table
// grows on demand as the catalog hands out new ids. Rows of removed items are zeroed and
// simply never asked for.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string_view>

#include "reco/catalog.hpp"
#include "reco/memory.hpp"
#include "reco/model.hpp"

namespace reco {

// What a model registry needs from a catalog: its live items and its dense-id bound.
class ItemSource {
 public:
  using Visit = std::function<void(std::uint32_t dense, std::string_view id, const Item& item)>;
  virtual ~ItemSource() = default;
  virtual std::uint32_t id_bound() const = 0;
  virtual void for_each_item(const Visit& fn) const = 0;
};

// A catalog's live items, through its public interface only.
class CatalogItems final : public ItemSource {
 public:
  explicit CatalogItems(const Catalog& catalog) : catalog_(catalog) {}
  std::uint32_t id_bound() const override { return catalog_.id_bound(); }
  void for_each_item(const Visit& fn) const override {
    for (std::uint32_t d = 0; d < catalog_.id_bound(); ++d)
      if (catalog_.live(d)) fn(d, view(catalog_.item(d).id), catalog_.item(d));
  }

 private:
  const Catalog& catalog_;
};

class ItemTable {
 public:
  RECO_HOOK_ALLOCATED
 public:
  explicit ItemTable(std::shared_ptr<const Model> model);

  // Builds every live item's row. Throws (and the table is unusable) only on allocation failure.
  void build(const ItemSource& items);
  // Strong guarantee: the row is computed before the table grows.
  void on_item(std::uint32_t dense, std::string_view id, const Item& item);
  // Rows for dense ids below `bound` (the growth step of on_item, taken ahead).
  void reserve(std::uint32_t bound) { grow(bound); }
  void on_remove(std::uint32_t dense) noexcept;

  const Model& model() const noexcept { return *model_; }
  const std::shared_ptr<const Model>& model_ptr() const noexcept { return model_; }
  std::uint32_t bound() const noexcept { return bound_; }
  const float* rows() const noexcept { return rows_.data(); }
  const float* row(std::uint32_t dense) const noexcept {
    return rows_.data() + std::size_t(dense) * model_->item_width();
  }

  // Model::score over this table (`candidates`: see Model::score). Throws reco::Error if a
  // dense id is >= bound().
  void score(const UserSide& user, std::span<const std::uint32_t> dense_ids, std::span<float> out,
             const float* candidates = nullptr) const;

  // Of the items with a row, how many gave each item field no value or only unknown values
  // (FieldValue): a count per schema field, 0 for user and context fields.
  struct ValueCounts {
    std::uint64_t items = 0;
    std::vector<std::uint64_t> missing, unknown;
  };
  ValueCounts value_counts() const;

  std::size_t memory_bytes() const noexcept {
    return heap_bytes(rows_) + heap_bytes(values_) + heap_bytes(missing_) + heap_bytes(unknown_);
  }

 private:
  void grow(std::uint32_t bound);
  // Adds (sign +1) or takes back (-1) the FieldValues of the row `dense`.
  void count(const std::uint8_t* values, int sign) noexcept;

  std::shared_ptr<const Model> model_;
  Vec<float> rows_;
  std::uint32_t bound_ = 0;
  // The item fields' FieldValues: item_fields_.size() bytes per dense id, kNoRow where
  // the id has no row; and their totals per item field.
  static constexpr std::uint8_t kNoRow = 0xff;
  Vec<std::uint32_t> item_fields_;  // schema indexes of the item fields
  Vec<std::uint8_t> values_;
  Vec<std::uint64_t> missing_, unknown_;
  std::uint64_t rows_counted_ = 0;
};

}  // namespace reco
