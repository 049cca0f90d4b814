// Item catalog (see reco/catalog.hpp).
#include "reco/catalog.hpp"
#include "reco/catalog_digest.hpp"

#include <algorithm>
#include <cmath>
#include <optional>
#include <unordered_set>

#include "reco/error.hpp"
#include "reco/fingerprint.hpp"
#include "reco/model_set.hpp"

namespace reco {
namespace {

OrderKey key_of(const Item& it, std::uint32_t id) { return {it.popularity, it.time, id}; }

}  // namespace

Catalog::Catalog(std::string_view name, std::size_t dim, Metric metric, const IndexConfig& index)
    : name_(to_string(name)), dim_(dim), metric_(metric), index_config_(index) {
  // An empty catalog's order is current; its first items are moved into it.
  order_dirty_ = false;
  popular_terms_dirty_ = false;
  if (dim < 1 || dim > kMaxDim)
    throw Error("DIM must be between 1 and " + std::to_string(kMaxDim));
  index_config_.validate();
  vectors_ = make_vector_index(dim, metric, index_config_);
  models_ = std::make_unique<ModelSet>();
  digest_scratch_.resize(dim);
}

Digest128 Catalog::stored_digest(std::uint32_t dense) noexcept {
  std::span<const float> v;
  if (vectors_->read(dense, digest_scratch_)) v = digest_scratch_;
  return item_digest(items_[dense], v);
}

Catalog::~Catalog() = default;

void Catalog::set_query_settings(std::uint32_t ef_runtime, std::uint32_t exact_below) {
  IndexConfig next = index_config_;
  next.ef_runtime = ef_runtime;
  next.exact_below = exact_below;
  next.validate();
  index_config_ = next;
  ++version_;
}

void Catalog::set_bias_dim(std::optional<std::uint32_t> dim) {
  if (dim) {
    if (dim_ < 2) throw Error("BIAS_DIM needs a catalog of at least 2 dimensions");
    if (*dim >= dim_)
      throw Error("BIAS_DIM must be LAST, NONE or an integer between 0 and " + std::to_string(dim_ - 1));
  }
  if (dim == bias_dim_) return;
  bias_dim_ = dim;
  ++version_;
}

std::vector<float> Catalog::vector(std::uint32_t dense) const {
  std::vector<float> v(dim_);
  if (!vectors_->read(dense, v)) v.clear();
  return v;
}

std::vector<std::uint32_t> Catalog::items_with_any_term(std::span<const std::string> terms) const {
  std::vector<std::uint32_t> out;
  for (const std::string& t : terms) {
    auto p = terms_.postings(t);
    out.insert(out.end(), p.begin(), p.end());
  }
  // Posting lists are sorted; one list needs no sort, several are merged by one.
  if (terms.size() > 1) {
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
  }
  return out;
}

bool Catalog::searches_exactly() const noexcept {
  return index_config_.kind == IndexKind::Flat ||
         (index_config_.kind == IndexKind::Auto && vectors_->size() < index_config_.exact_below);
}

std::vector<Hit> Catalog::search(std::span<const float> query, std::size_t k,
                                 const ItemFilter& filter, std::size_t ef) const {
  SearchParams params;
  params.ef = ef ? ef : index_config_.ef_runtime;
  params.exact = searches_exactly();
  return vectors_->search(query, k, filter, params);
}

void Catalog::set_blend(const BlendConfig& blend) {
  blend_ = blend;
  ++version_;
}

std::optional<std::uint32_t> Catalog::find(std::string_view id) const noexcept {
  auto it = by_fp_.find(fingerprint(id));
  if (it == by_fp_.end() || view(items_[it->second].id) != id) return std::nullopt;
  return it->second;
}

std::optional<std::uint32_t> Catalog::find_fingerprint(std::uint64_t fp) const noexcept {
  auto it = by_fp_.find(fp);
  if (it == by_fp_.end()) return std::nullopt;
  return it->second;
}

bool Catalog::upsert(std::string_view id, const ItemUpdate& u, const VectorInsertPlan* plan) {
  // Validate everything before touching anything.
  if (u.vector) {
    if (u.vector->size() != dim_)
      throw Error("vector has " + std::to_string(u.vector->size()) + " values, catalog '" +
                  std::string(name()) + "' has dimension " + std::to_string(dim_));
    for (float x : *u.vector)
      if (!std::isfinite(x)) throw Error("vector values must be finite numbers");
  }
  if (u.popularity && !std::isfinite(*u.popularity))
    throw Error("POPULARITY must be a finite number");
  if (u.features) {
    std::unordered_set<std::string_view> names;
    for (const auto& [n, v] : *u.features)
      if (!names.insert(n).second) throw Error("duplicate feature '" + n + "'");
  }
  const std::uint64_t fp = fingerprint(id);
  auto existing = by_fp_.find(fp);
  if (existing != by_fp_.end() && view(items_[existing->second].id) != id)
    throw Error("item id fingerprint collides with item '" +
                std::string(view(items_[existing->second].id)) + "'");

  // Build the new item's value aside, so a failed allocation leaves the catalog intact.
  const bool created = existing == by_fp_.end();
  const Digest128 old_digest = created ? Digest128{} : stored_digest(existing->second);
  Item next;
  if (!created) next = items_[existing->second];
  next.id = to_string(id);
  if (u.terms) {
    next.terms.clear();
    std::unordered_set<std::string_view> seen;
    for (const auto& t : *u.terms)
      if (seen.insert(t).second) next.terms.push_back(to_string(t));
  }
  if (u.popularity) next.popularity = *u.popularity;
  if (u.time) next.time = *u.time;
  if (u.features) {
    next.features.clear();
    for (const auto& [n, v] : *u.features) next.features.push_back({to_string(n), to_string(v)});
  }

  std::uint32_t dense;
  if (!created) {
    dense = existing->second;
  } else if (!free_ids_.empty()) {
    dense = free_ids_.back();
  } else {
    if (items_.size() >= UINT32_MAX) throw Error("catalog is full");
    dense = static_cast<std::uint32_t>(items_.size());
  }
  // Growth steps before the first change: if one is refused (out of memory, or a step that
  // would cross maxmemory), the catalog is as it was. What allocates after this point is
  // small (a map node, a new term's entry, graph lists).
  reserve_dense(dense);
  if (created) reserve_entries(by_fp_, 1);
  if (created || u.terms) terms_.reserve_add(next.terms);

  if (created) {
    if (!free_ids_.empty()) {
      free_ids_.pop_back();
    } else {
      items_.emplace_back();
      live_.push_back(0);
      fps_.push_back(0);
    }
    by_fp_.emplace(fp, dense);
    ++live_count_;
  } else if (u.terms) {
    terms_.remove(dense, items_[dense].terms);
  }
  if (created || u.terms) terms_.add(dense, next.terms);
  Item was = std::move(items_[dense]);
  items_[dense] = std::move(next);
  live_[dense] = 1;
  fps_[dense] = fp;
  reorder(dense, created ? nullptr : &was, &items_[dense], u.terms.has_value());
  if (u.vector && !(plan && vectors_->apply_plan(dense, *plan))) vectors_->set(dense, *u.vector);
  if (!models_->empty()) models_->on_item(dense, id, items_[dense]);
  items_digest_.sub(old_digest);
  items_digest_.add(stored_digest(dense));
  ++version_;
  after_write();
  return created;
}

void Catalog::reserve_dense(std::uint32_t dense) {
  const std::size_t need = std::size_t(dense) + 1;
  if (need > items_.capacity()) {
    const std::size_t cap = std::max<std::size_t>({need, 16, 2 * items_.capacity()});
    items_.reserve(cap);
    live_.reserve(cap);
    fps_.reserve(cap);
  }
  vectors_->reserve(need);
  models_->reserve(static_cast<std::uint32_t>(need));
}

std::unique_ptr<VectorInsertPlan> Catalog::plan_upsert(std::string_view id, const ItemUpdate& u) const {
  if (!u.vector || u.vector->size() != dim_ || !vectors_->plans_inserts()) return nullptr;
  for (float x : *u.vector)
    if (!std::isfinite(x)) return nullptr;
  // The dense id upsert() would give the item now: its own, or the next one it would take.
  const auto existing = by_fp_.find(fingerprint(id));
  std::uint32_t dense;
  if (existing != by_fp_.end()) {
    dense = existing->second;
  } else if (!free_ids_.empty()) {
    dense = free_ids_.back();
  } else {
    if (items_.size() >= UINT32_MAX) return nullptr;
    dense = static_cast<std::uint32_t>(items_.size());
  }
  return vectors_->plan_set(dense, *u.vector);
}

void Catalog::place(std::uint32_t dense, Item&& item, std::span<const float> vector) {
  const std::uint64_t fp = fingerprint(view(item.id));
  by_fp_.emplace(fp, dense);
  terms_.add(dense, item.terms);
  if (!vector.empty()) vectors_->set(dense, vector, /*stored_form=*/true);
  items_[dense] = std::move(item);
  live_[dense] = 1;
  fps_[dense] = fp;
  ++live_count_;
  order_dirty_ = true;
}

void Catalog::rebuild_items_digest() noexcept {
  items_digest_ = {};
  for (std::uint32_t d = 0; d < items_.size(); ++d)
    if (live_[d]) items_digest_.add(stored_digest(d));
}

bool Catalog::erase(std::string_view id) {
  auto dense = find(id);
  if (!dense) return false;
  const std::uint32_t d = *dense;
  // The one allocation, before any change; geometric so that mass deletes stay linear.
  if (free_ids_.size() == free_ids_.capacity())
    free_ids_.reserve(std::max<std::size_t>(8, 2 * free_ids_.capacity()));
  items_digest_.sub(stored_digest(d));
  terms_.remove(d, items_[d].terms);
  vectors_->remove(d);
  models_->on_remove(d);
  by_fp_.erase(fps_[d]);
  reorder(d, &items_[d], nullptr, false);
  items_[d] = Item{};
  live_[d] = 0;
  fps_[d] = 0;
  free_ids_.push_back(d);
  --live_count_;
  ++version_;
  after_write();
  return true;
}

void Catalog::reorder(std::uint32_t d, const Item* was, const Item* now, bool terms_changed) {
  const bool key_changed =
      !was || !now || was->popularity != now->popularity || was->time != now->time;
  if (order_dirty_ || (!key_changed && !terms_changed)) return;
  std::optional<OrderKey> from, to;
  if (was) from = key_of(*was, d);
  if (now) to = key_of(*now, d);
  // Keys as the lists stand: d still where its old key put it.
  auto key = [&](std::uint32_t x) { return x == d && from ? *from : key_of(items_[x], x); };
  // Any failure (an allocation, a list out of step) leaves the lists stale until the next
  // refresh_derived().
  try {
    if (key_changed) popular_.move(d, from, to, key);
    if (popular_terms_dirty_) return;
    // Moves d within (or into, or out of) the list of term t.
    auto move_term = [&](const String& t, const std::optional<OrderKey>& a,
                         const std::optional<OrderKey>& b) {
      PopularList* list = popular_terms_.find(view(t));
      if (!list) {
        if (a) throw Error("popular order out of step");
        list = &popular_terms_.get_or_add(t);
      }
      list->move(d, a, b, key);
      if (list->empty()) popular_terms_.drop(view(t));
    };
    auto has = [](const Vec<String>& terms, const String& t) {
      return std::find(terms.begin(), terms.end(), t) != terms.end();
    };
    if (was && now && terms_changed) {
      for (const String& t : was->terms)
        if (!has(now->terms, t)) move_term(t, from, std::nullopt);
      for (const String& t : now->terms) {
        if (!has(was->terms, t)) {
          move_term(t, std::nullopt, to);
        } else if (key_changed) {
          move_term(t, from, to);
        }
      }
    } else {
      for (const String& t : (now ? now->terms : was->terms)) move_term(t, from, to);
    }
  } catch (...) {
    order_dirty_ = true;
    popular_terms_dirty_ = true;
  }
}

void Catalog::refresh_derived() {
  if (order_dirty_) {
    ++resorts_;
    Vec<std::uint32_t> sorted;
    sorted.reserve(live_count_);
    for (std::uint32_t d = 0; d < items_.size(); ++d)
      if (live_[d]) sorted.push_back(d);
    std::sort(sorted.begin(), sorted.end(), [this](std::uint32_t a, std::uint32_t b) {
      return before(key_of(items_[a], a), key_of(items_[b], b));
    });
    popular_.assign(sorted);
    popular_terms_dirty_ = true;
    order_dirty_ = false;
  }
  if (popular_terms_dirty_) {
    // A failure part-way leaves the lists marked stale.
    popular_terms_.clear();
    for (std::uint32_t d : popular_)
      for (const String& t : items_[d].terms) popular_terms_.get_or_add(t).push_back(d);
    popular_terms_dirty_ = false;
  }
}

void Catalog::after_write() {
  if (!refresh_on_write_) return;
  // The write itself is done; a failed refresh leaves the structures stale, which queries
  // report, until a later write or refresh_derived() succeeds.
  try {
    refresh_derived();
  } catch (...) {
  }
}

const PopularList& Catalog::popular_order() const {
  if (order_dirty_) throw Error("catalog " + std::string(name()) + ": popular order is stale");
  return popular_;
}

const PopularList& Catalog::popular_postings(std::string_view term) const {
  static const PopularList kNone;
  if (!derived_current()) throw Error("catalog " + std::string(name()) + ": popular order is stale");
  const PopularList* list = popular_terms_.find(term);
  return list ? *list : kNone;
}

std::size_t Catalog::memory_bytes() const noexcept {
  std::size_t bytes = sizeof(*this) + heap_bytes(name_) + heap_bytes(items_) + heap_bytes(live_) +
                      heap_bytes(fps_) + heap_bytes(free_ids_) + popular_.memory_bytes() +
                      popular_terms_.memory_bytes();
  for (const Item& it : items_) {
    bytes += heap_bytes(it.id) + heap_bytes(it.terms) + heap_bytes(it.features);
    for (const String& t : it.terms) bytes += heap_bytes(t);
    for (const Feature& f : it.features) bytes += heap_bytes(f.name) + heap_bytes(f.value);
  }
  // unordered_map: a bucket pointer per bucket plus one node per entry.
  bytes += by_fp_.bucket_count() * sizeof(void*) +
           by_fp_.size() * (sizeof(void*) + sizeof(std::pair<std::uint64_t, std::uint32_t>) + 8);
  bytes += vectors_->memory_bytes() + terms_.memory_bytes() + models_->memory_bytes();
  return bytes;
}

}  // namespace reco
