// A catalog's model versions, rollback history and A/B split (see reco/model_set.hpp).
//
// Encoding 1:
//   version count, then per version: name, model file (Model::to_bytes), digest, file size;
//   active name (empty = none); history (count, names); split flag, then a, b, b_buckets.
// Loading builds a complete new set and checks every name it refers to before returning,
// so a broken payload never yields a half-loaded set.
#include "reco/model_set.hpp"

#include <algorithm>
#include <cmath>

#include "reco/error.hpp"
#include "reco/fingerprint.hpp"
#include "reco/safetensors.hpp"

namespace reco {
namespace {

[[noreturn]] void fail(const std::string& msg) { throw Error("model: " + msg); }

std::string qs(std::string_view s) { return "'" + std::string(s) + "'"; }

void check_name(std::string_view name) {
  if (name.empty()) fail("version name is empty");
  if (name.size() > kMaxModelNameBytes)
    fail("version name is longer than " + std::to_string(kMaxModelNameBytes) + " bytes");
}

}  // namespace

ModelVersion::ModelVersion(std::string_view name, std::shared_ptr<const Model> model,
                           std::uint64_t digest, std::uint64_t file_bytes)
    : name_(to_string(name)),
      table_(std::move(model)),
      digest_(digest),
      file_bytes_(file_bytes),
      window_(table_.model().schema().fields.size()) {}

std::size_t ModelVersion::memory_bytes() const noexcept {
  return sizeof(*this) + heap_bytes(name_) + table_.model().memory_bytes() + table_.memory_bytes();
}

void ModelVersion::score(std::string_view user_key, const UserProfile* user, ContextPairs context,
                         std::span<const std::uint32_t> dense_ids, std::span<float> out) const {
  const UserSide side = table_.model().prepare_user(user_key, user, context);
  table_.score(side, dense_ids, out);
  record(out.first(dense_ids.size()), side);
}

std::uint32_t ModelSet::bucket(std::string_view user_key) noexcept {
  return static_cast<std::uint32_t>(fingerprint(user_key) % kBuckets);
}

ModelVersion* ModelSet::find_mut(std::string_view name) noexcept {
  for (auto& v : versions_)
    if (v->name() == name) return v.get();
  return nullptr;
}

const ModelVersion* ModelSet::find(std::string_view name) const noexcept {
  for (const auto& v : versions_)
    if (v->name() == name) return v.get();
  return nullptr;
}

const ModelVersion* ModelSet::active() const noexcept {
  return active_.empty() ? nullptr : find(active_);
}

std::unique_ptr<ModelVersion> ModelSet::prepare(std::string_view name, std::string_view bytes,
                                                const ItemSource& items) const {
  check_name(name);
  // The cheap checks before hashing the file: a file whose first bytes are already
  // impossible is refused in constant time, not after a pass over up to 1 GB.
  check_safetensors_framing(bytes);
  const std::uint64_t digest = fingerprint(bytes);
  if (const ModelVersion* old = find(name)) {
    if (old->digest() == digest && old->file_bytes() == bytes.size()) return nullptr;
    fail("version " + qs(name) + " already exists with other bytes (versions are immutable; "
         "remove it first or use a new name)");
  }
  if (versions_.size() >= kMaxModelVersions)
    fail("too many versions (at most " + std::to_string(kMaxModelVersions) + "; remove one first)");
  auto v = std::make_unique<ModelVersion>(name, Model::parse(bytes), digest, bytes.size());
  v->items().build(items);
  return v;
}

void ModelSet::install(std::unique_ptr<ModelVersion> version) {
  if (find(version->name())) fail("version " + qs(version->name()) + " already exists");
  if (versions_.size() >= kMaxModelVersions)
    fail("too many versions (at most " + std::to_string(kMaxModelVersions) + "; remove one first)");
  versions_.push_back(std::move(version));
}

bool ModelSet::put(std::string_view name, std::string_view bytes, const ItemSource& items) {
  auto v = prepare(name, bytes, items);
  if (!v) return false;
  install(std::move(v));
  return true;
}

void ModelSet::push_history(std::string_view name) {
  history_.emplace_back(name);
  if (history_.size() > kMaxModelHistory) history_.erase(history_.begin());
}

void ModelSet::activate(std::string_view name) {
  if (!find(name)) fail("no version " + qs(name));
  if (active_ != name) {
    if (!active_.empty()) push_history(active_);
    active_ = std::string(name);
  }
  split_.reset();
}

std::string ModelSet::rollback() {
  while (!history_.empty() && !find(history_.back())) history_.pop_back();
  if (history_.empty()) fail("no previous version to roll back to");
  active_ = std::move(history_.back());
  history_.pop_back();
  split_.reset();
  return std::string(view(active_));
}

std::unique_ptr<ModelVersion> ModelSet::remove(std::string_view name, bool force) {
  auto it = std::find_if(versions_.begin(), versions_.end(), [&](const auto& v) { return v->name() == name; });
  if (it == versions_.end()) fail("no version " + qs(name));
  const bool is_active = active_ == name;
  const bool in_split = split_ && (split_->a == name || split_->b == name);
  if (!force && is_active) fail("version " + qs(name) + " is active (activate another first, or force)");
  if (!force && in_split) fail("version " + qs(name) + " is in the running split (clear it first, or force)");
  std::unique_ptr<ModelVersion> gone = std::move(*it);
  versions_.erase(it);
  history_.erase(std::remove(history_.begin(), history_.end(), name), history_.end());
  if (in_split) split_.reset();
  if (is_active) {
    active_.clear();
    if (!history_.empty()) {
      active_ = std::move(history_.back());
      history_.pop_back();
    }
  }
  return gone;
}

void ModelSet::split(std::string_view a, std::string_view b, double percent_b) {
  if (!find(a)) fail("no version " + qs(a));
  if (!find(b)) fail("no version " + qs(b));
  if (a == b) fail("a split needs two different versions");
  if (!std::isfinite(percent_b) || percent_b < 0 || percent_b > 100)
    fail("split percentage must be between 0 and 100");
  ModelSplit s;
  s.a = std::string(a);
  s.b = std::string(b);
  s.b_buckets = static_cast<std::uint32_t>(std::llround(percent_b * (kBuckets / 100)));
  split_ = std::move(s);
}

const ModelVersion* ModelSet::choose(std::string_view user_key) const noexcept {
  if (split_) return find(bucket(user_key) < split_->b_buckets ? split_->b : split_->a);
  return active();
}

std::vector<std::string> ModelSet::history() const { return {history_.begin(), history_.end()}; }

std::vector<ModelVersionInfo> ModelSet::list() const {
  std::vector<ModelVersionInfo> out;
  for (const auto& v : versions_) {
    ModelVersionInfo i;
    i.name = std::string(v->name());
    i.active = active_ == v->name();
    if (split_) {
      if (split_->b == v->name()) i.split_buckets = split_->b_buckets;
      if (split_->a == v->name()) i.split_buckets = kBuckets - split_->b_buckets;
    }
    i.requests = v->requests();
    i.candidates = v->candidates();
    i.recent = v->recent_scores();
    i.file_bytes = v->file_bytes();
    i.run = std::string(v->model().run_record());
    i.digest = v->digest();
    i.memory_bytes = v->memory_bytes();
    const Model& m = v->model();
    i.fields = m.schema().fields.size();
    i.parameters = m.parameter_count();
    i.item_width = m.item_width();
    i.has_mlp = m.schema().has_mlp;
    i.sigmoid = m.schema().output == ModelOutput::Sigmoid;
    const ItemTable::ValueCounts items = v->items().value_counts();
    const auto& fields = m.schema().fields;
    for (std::size_t f = 0; f < fields.size(); ++f) {
      ModelVersionInfo::FieldValues fv;
      fv.field = std::string(view(fields[f].name));
      fv.side = fields[f].side;
      const bool item = fv.side == FieldSide::Item;
      const double over = double(item ? items.items : i.recent.requests);
      if (over > 0) {
        fv.missing = double(item ? items.missing[f] : i.recent.missing[f]) / over;
        fv.unknown = double(item ? items.unknown[f] : i.recent.unknown[f]) / over;
      }
      i.field_values.push_back(std::move(fv));
    }
    out.push_back(std::move(i));
  }
  return out;
}

void ModelSet::on_item(std::uint32_t dense, std::string_view id, const Item& item) {
  for (auto& v : versions_) v->items().on_item(dense, id, item);
}

void ModelSet::reserve(std::uint32_t bound) {
  for (auto& v : versions_) v->items().reserve(bound);
}

void ModelSet::on_remove(std::uint32_t dense) noexcept {
  for (auto& v : versions_) v->items().on_remove(dense);
}

std::size_t ModelSet::memory_bytes() const noexcept {
  std::size_t n = sizeof(*this);
  for (const auto& v : versions_) n += v->memory_bytes();
  return n;
}

void ModelSet::save(ByteSink& out) const {
  out.put_u64(versions_.size());
  for (const auto& v : versions_) {
    out.put_bytes(v->name());
    out.put_bytes(v->model().to_bytes());
    out.put_u64(v->digest());
    out.put_u64(v->file_bytes());
  }
  out.put_bytes(active_);
  out.put_u64(history_.size());
  for (const String& h : history_) out.put_bytes(h);
  out.put_u64(split_ ? 1 : 0);
  if (split_) {
    out.put_bytes(split_->a);
    out.put_bytes(split_->b);
    out.put_u64(split_->b_buckets);
  }
}

std::unique_ptr<ModelSet> ModelSet::load(ByteSource& in, std::uint32_t encoding, const ItemSource& items) {
  if (encoding < 1 || encoding > kModelSetEncoding)
    throw Error("unsupported model set encoding " + std::to_string(encoding));
  auto set = std::make_unique<ModelSet>();
  const std::uint64_t n = in.get_u64();
  if (n > kMaxModelVersions) throw Error("corrupt model set: too many versions");
  for (std::uint64_t i = 0; i < n; ++i) {
    const std::string name = in.get_bytes();
    check_name(name);
    if (set->find(name)) throw Error("corrupt model set: duplicate version " + qs(name));
    const std::string bytes = in.get_bytes();
    const std::uint64_t digest = in.get_u64();
    const std::uint64_t size = in.get_u64();
    auto v = std::make_unique<ModelVersion>(name, Model::parse(bytes), digest, size);
    v->items().build(items);
    set->versions_.push_back(std::move(v));
  }
  set->active_ = in.get_bytes();
  if (!set->active_.empty() && !set->find(set->active_))
    throw Error("corrupt model set: active version " + qs(set->active_) + " is missing");
  const std::uint64_t h = in.get_u64();
  if (h > kMaxModelHistory) throw Error("corrupt model set: history too long");
  for (std::uint64_t i = 0; i < h; ++i) {
    std::string name = in.get_bytes();
    if (!set->find(name)) throw Error("corrupt model set: history names missing version " + qs(name));
    set->history_.push_back(to_string(name));
  }
  const std::uint64_t has_split = in.get_u64();
  if (has_split > 1) throw Error("corrupt model set: split flag");
  if (has_split) {
    ModelSplit s;
    s.a = in.get_bytes();
    s.b = in.get_bytes();
    const std::uint64_t b = in.get_u64();
    if (!set->find(s.a) || !set->find(s.b) || s.a == s.b || b > kBuckets)
      throw Error("corrupt model set: split");
    s.b_buckets = static_cast<std::uint32_t>(b);
    set->split_ = std::move(s);
  }
  return set;
}

}  // namespace reco
