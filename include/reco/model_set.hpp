// The ranking models of one catalog: named versions, the active one, a rollback history,
// and an optional A/B split between two versions by user.
//
// Versions are immutable: putting a name again with the same bytes is a no-op (so a loader
// can resend), with other bytes an error (a rollback must bring back exactly what ran).
// Every version keeps its own item table, so activating, rolling back or splitting is
// instant. A/B routing hashes the user key with reco::fingerprint (fixed forever) into
// kBuckets buckets; the split stores a bucket count, so a user's side survives restarts,
// replicas and re-splits with the same share.
//
// Policy:
// - put() only stores a version: nothing ranks with it until activate() (or MODEL <name> in
//   a request), so a first model never changes what a catalog serves by surprise;
// - activate() pushes the previous active version onto the history and ends any split;
//   rollback() pops the history (also ending a split);
// - remove() refuses the active version and the versions of a running split unless forced;
//   a forced removal of the active version rolls back (or leaves no active model), and of
//   a split's version ends the split;
// - per-version counters (requests, candidates) are runtime statistics, not persisted.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "reco/codec.hpp"
#include "reco/memory.hpp"
#include "reco/model.hpp"
#include "reco/model_items.hpp"
#include "reco/score_window.hpp"

namespace reco {

constexpr std::uint32_t kModelSetEncoding = 1;
constexpr std::size_t kMaxModelVersions = 32;
constexpr std::size_t kMaxModelNameBytes = 256;
constexpr std::size_t kMaxModelHistory = 64;

class ModelVersion {
 public:
  RECO_HOOK_ALLOCATED
 public:
  ModelVersion(std::string_view name, std::shared_ptr<const Model> model, std::uint64_t digest,
               std::uint64_t file_bytes);

  std::string_view name() const noexcept { return view(name_); }
  const Model& model() const noexcept { return table_.model(); }
  const ItemTable& items() const noexcept { return table_; }
  ItemTable& items() noexcept { return table_; }
  // fingerprint() of the file as put, and its size: identifies the bytes across restarts.
  std::uint64_t digest() const noexcept { return digest_; }
  std::uint64_t file_bytes() const noexcept { return file_bytes_; }

  // One request: prepares the user side, scores the candidates (out[k] for dense_ids[k]),
  // and counts the request. Throws reco::Error on a dense id without a row.
  void score(std::string_view user_key, const UserProfile* user, ContextPairs context,
             std::span<const std::uint32_t> dense_ids, std::span<float> out) const;

  // Counts one ranked request and adds its scores to the window. Queries on several threads
  // count at once: relaxed atomics and the window's mutex guard the one thing a query writes
  // in shared state (statistics, read only by INFO and RECO.MODEL.INFO).
  void record(std::span<const float> scores, const UserSide& side) const noexcept {
    requests_.fetch_add(1, std::memory_order_relaxed);
    candidates_.fetch_add(scores.size(), std::memory_order_relaxed);
    window_.add(scores, side.values);
  }
  std::uint64_t requests() const noexcept { return requests_.load(std::memory_order_relaxed); }
  std::uint64_t candidates() const noexcept { return candidates_.load(std::memory_order_relaxed); }
  ScoreWindow::Summary recent_scores() const { return window_.summary(); }
  std::size_t memory_bytes() const noexcept;

 private:
  String name_;
  ItemTable table_;
  std::uint64_t digest_;
  std::uint64_t file_bytes_;
  mutable std::atomic<std::uint64_t> requests_{0};
  mutable std::atomic<std::uint64_t> candidates_{0};
  mutable ScoreWindow window_;
};

struct ModelSplit {
  String a, b;
  std::uint32_t b_buckets = 0;  // users whose bucket is < b_buckets go to b
};

struct ModelVersionInfo {
  std::string name;
  bool active = false;
  std::uint32_t split_buckets = 0;  // buckets routed here while a split runs, else 0
  std::uint64_t requests = 0, candidates = 0;
  ScoreWindow::Summary recent;  // the served scores of the latest 1,000-2,000 requests
  // Per schema field, the share of inputs with no value and with only unknown values
  // (FieldValue): user and context fields over the requests of `recent`, item fields over
  // the catalog's items (their rows in this version's table).
  struct FieldValues {
    std::string field;
    FieldSide side = FieldSide::User;
    double missing = 0, unknown = 0;
  };
  std::vector<FieldValues> field_values;
  std::uint64_t file_bytes = 0, digest = 0;
  std::size_t memory_bytes = 0;
  std::size_t fields = 0, parameters = 0, item_width = 0;
  bool has_mlp = false;
  bool sigmoid = true;
  std::string run;  // the file's run record (Model::run_record), empty if none
};

class ModelSet {
 public:
  RECO_HOOK_ALLOCATED
 public:
  static constexpr std::uint32_t kBuckets = 10000;
  static std::uint32_t bucket(std::string_view user_key) noexcept;

  ModelSet() = default;
  ModelSet(const ModelSet&) = delete;
  ModelSet& operator=(const ModelSet&) = delete;

  // Parses the file and builds its item table from `items`. Returns true if added, false if
  // the same name already holds the same bytes. Throws reco::Error and changes nothing on a
  // bad file, a name taken by other bytes, a bad name, or too many versions.
  bool put(std::string_view name, std::string_view bytes, const ItemSource& items);
  // put() in two steps, so that the expensive one (parsing the file, building its item
  // table) needs no exclusive hold on the catalog: prepare() only reads (nullptr: the same
  // bytes are already there), install() adds the result. Nothing may change the set or
  // the items in between.
  std::unique_ptr<ModelVersion> prepare(std::string_view name, std::string_view bytes,
                                        const ItemSource& items) const;
  void install(std::unique_ptr<ModelVersion> version);
  void activate(std::string_view name);
  // Returns the name now active. Throws if the history is empty.
  std::string rollback();
  // Returns the removed version: the caller decides where its memory is freed.
  std::unique_ptr<ModelVersion> remove(std::string_view name, bool force = false);
  // percent_b in [0, 100], resolved to whole buckets (0.01% steps).
  void split(std::string_view a, std::string_view b, double percent_b);
  void clear_split() noexcept { split_.reset(); }

  // The version that ranks for this user: the split's side if a split runs, else the
  // active version; nullptr if there is none.
  const ModelVersion* choose(std::string_view user_key) const noexcept;
  const ModelVersion* find(std::string_view name) const noexcept;
  const ModelVersion* active() const noexcept;
  const std::optional<ModelSplit>& current_split() const noexcept { return split_; }
  std::vector<std::string> history() const;  // oldest first
  std::vector<ModelVersionInfo> list() const;  // in put order
  std::size_t size() const noexcept { return versions_.size(); }
  bool empty() const noexcept { return versions_.empty(); }

  // The catalog calls these on its writes so that every version's rows stay current.
  void on_item(std::uint32_t dense, std::string_view id, const Item& item);
  void reserve(std::uint32_t bound);  // every version's item rows (ItemTable::reserve)
  void on_remove(std::uint32_t dense) noexcept;

  std::size_t memory_bytes() const noexcept;

  // Saves each version's file (Model::to_bytes), the active name, history and split. Loading
  // parses and validates every file as put() does and rebuilds the tables from `items`.
  void save(ByteSink& out) const;
  static std::unique_ptr<ModelSet> load(ByteSource& in, std::uint32_t encoding, const ItemSource& items);

 private:
  ModelVersion* find_mut(std::string_view name) noexcept;
  void push_history(std::string_view name);

  Vec<std::unique_ptr<ModelVersion>> versions_;
  String active_;  // empty: none
  Vec<String> history_;
  std::optional<ModelSplit> split_;
};

}  // namespace reco
