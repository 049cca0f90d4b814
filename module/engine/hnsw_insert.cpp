// Linking a new node into the HNSW graph in two steps: plan (read-only), then apply.
//
// Why two steps: choosing a node's links is a search with ef_construction candidates per
// level (about 0.2 ms at 32-64 dims), and the writer is Redis's main thread, which must
// keep answering its other clients. A plan is made by any thread while the graph is only
// read (concurrently with queries, under the catalog's shared lock); applying it writes a
// few dozen lists and takes microseconds.
//
// Why a plan can be trusted later: the plan records the key of every list it read (the
// greedy descent, every node a walk expanded, each chosen neighbour's old list). A walk is
// a function of the lists it reads and of distances, and a fresh insert changes nothing
// but the lists it writes and (perhaps) the entry point. So if no insert applied since the
// plan wrote a list the plan read, and the entry point did not move, planning now would
// read the same lists and choose the same links: applying the old plan gives the very
// graph a sequential set() would, bit for bit. Anything else since (a delete, a sweep, a
// re-set in place, more than kChangeLog inserts) makes the plan stale, and the writer
// links the node itself. The same code links every insert (set() plans and applies at
// once), so the two paths cannot drift apart.
//
// Threads: plan_set reads the graph (shared, immutable while readers hold the lock);
// plan_valid and apply_links run on the writer's thread only, which alone owns the
// change log.
#include <algorithm>
#include <vector>

#include "hnsw/hnsw_graph.hpp"

namespace reco {

void HnswIndex::Impl::prepare(const HnswIndex& x, std::uint32_t s, const float* q, HnswInsertPlan& p) {
  p.index = &x;
  p.slot = s;
  p.level = level_for(x, s);
  p.payload.assign(x.payload_words_, 0);
  if (x.params_.quant == HnswQuant::None) {
    std::memcpy(p.payload.data(), q, x.dim_ * 4);
  } else {
    const float sc = hnsw::quantize(q, x.dim_, reinterpret_cast<std::int8_t*>(p.payload.data()));
    std::memcpy(p.payload.data() + x.payload_words_ - 1, &sc, 4);
    if (x.params_.keep_float) p.exact.assign(q, q + x.dim_);
  }
}

void HnswIndex::Impl::plan_links(const HnswIndex& x, HnswInsertPlan& p, const float* q) {
  p.epoch = x.epoch_;
  p.writes.clear();
  p.links.clear();
  p.touched.clear();
  p.tie_free = true;
  p.first = x.max_level_ < 0;
  if (p.first) return;
  const std::uint32_t s = p.slot;
  const Pending pend{s, p.prepared ? block(x, s) + 1 + x.m0_ : p.payload.data()};
  const int L = p.level;
  auto add_write = [&](std::uint32_t node, int lvl, const auto& chosen) {
    p.writes.push_back({node, lvl, static_cast<std::uint32_t>(p.links.size()),
                        static_cast<std::uint32_t>(chosen.size())});
    for (std::uint64_t c : chosen) p.links.push_back(slot_of(c));
  };
  std::vector<std::uint64_t> cands, sel, tmp, tmp_sel;
  // Neighbour c (at distance d from the new node) links to it on `lvl`; its list is pruned
  // by the selection rule if full. Mirrors the classic add-link step, into the plan.
  auto plan_back_link = [&](std::uint32_t c, float d, int lvl) {
    p.touched.push_back(list_key(lvl, c));
    const List ls = links(x, c, lvl);
    for (std::uint32_t i = 0; i < ls.count; ++i)
      if (ls.links[i] == s) return;  // a re-set node that c still links to
    tmp.clear();
    if (ls.count < max_links(x, lvl)) {
      for (std::uint32_t i = 0; i < ls.count; ++i) tmp.push_back(ls.links[i]);
      tmp.push_back(s);
      add_write(c, lvl, tmp);
      return;
    }
    const std::uint64_t mine = pack(d, s);
    tmp.push_back(mine);
    for (std::uint32_t i = 0; i < ls.count; ++i) {
      const std::uint32_t o = ls.links[i];
      if (state(x, o) != kLive) continue;
      const std::uint64_t po = pack(node_dist(x, c, o, pend), o);
      if ((po >> 32) == (mine >> 32)) p.tie_free = false;
      tmp.push_back(po);
    }
    std::sort(tmp.begin(), tmp.end());
    select(x, tmp, max_links(x, lvl), tmp_sel, false, pend);
    add_write(c, lvl, tmp_sel);
  };
  with_dist(x, q, [&](const auto& dist) {
    std::uint32_t ep = x.entry_;
    float d = dist(ep);
    greedy(x, dist, ep, d, x.max_level_, L, &p.touched);
    auto allow = [v = view(x), s](std::uint32_t n) { return n != s && v.state(n) == kLive; };
    for (int l = std::min(L, x.max_level_); l >= 0; --l) {
      walk(x, dist, ep, d, l, x.params_.ef_construction, allow, true, &p.touched);
      const auto& found = hnsw::WalkScratch::local().result;
      cands.assign(found.begin(), found.end());
      if (cands.empty()) continue;
      std::sort(cands.begin(), cands.end());
      ep = slot_of(cands[0]);
      d = dist_of(cands[0]);
      select(x, cands, x.params_.m, sel, true, pend);
      add_write(s, l, sel);
      for (std::uint64_t c : sel) plan_back_link(slot_of(c), dist_of(c), l);
    }
    return 0;
  });
  std::sort(p.touched.begin(), p.touched.end());
  p.touched.erase(std::unique(p.touched.begin(), p.touched.end()), p.touched.end());
}

bool HnswIndex::Impl::plan_valid(const HnswIndex& x, const HnswInsertPlan& p, std::uint32_t slot) {
  if (p.index != &x || p.prepared) return false;
  if (p.epoch < x.structural_epoch_ || x.epoch_ - p.epoch > kChangeLog) return false;
  if (slot < x.slot_count_ && state(x, slot) != kFree) return false;
  if (slot != p.slot && (!p.tie_free || level_for(x, slot) != p.level)) return false;
  for (std::uint64_t e = p.epoch + 1; e <= x.epoch_; ++e) {
    const Change& c = x.changes_[e % kChangeLog];
    if (c.entry_moved) return false;
    // Both sorted: one merge pass.
    auto a = p.touched.begin();
    for (std::uint64_t key : c.lists) {
      a = std::lower_bound(a, p.touched.end(), key);
      if (a == p.touched.end()) break;
      if (*a == key) return false;
    }
  }
  return true;
}

void HnswIndex::Impl::apply_links(HnswIndex& x, const HnswInsertPlan& p, std::uint32_t slot) {
  // Everything that allocates first: if it throws, the graph is as it was (a grown page
  // holds free slots; an upper-level list nobody links to is never read).
  Change& change = x.changes_[(x.epoch_ + 1) % kChangeLog];
  change.lists.clear();
  change.lists.reserve(p.writes.size());
  if (!p.prepared) {
    grow(x, std::size_t(slot) + 1);
    if (p.level > 0) x.upper_[slot].assign(std::size_t(p.level) * (x.params_.m + 1), 0);
    std::uint32_t* b = block(x, slot);
    b[0] = (kLive << 24) | (std::uint32_t(p.level) << 16);
    std::copy(p.payload.begin(), p.payload.end(), b + 1 + x.m0_);
    if (x.params_.keep_float)
      std::copy(p.exact.begin(), p.exact.end(), x.floats_.begin() + std::size_t(slot) * x.dim_);
    ++x.live_count_;
  }
  const auto at = [&](std::uint32_t n) { return n == p.slot ? slot : n; };
  for (const HnswInsertPlan::Write& w : p.writes) {
    const std::uint32_t node = at(w.node);
    List ls = links(x, node, w.level);
    for (std::uint32_t i = 0; i < w.count; ++i) ls.links[i] = at(p.links[w.begin + i]);
    set_count(x, node, w.level, w.count);
    change.lists.push_back(list_key(w.level, node));
  }
  std::sort(change.lists.begin(), change.lists.end());
  change.entry_moved = p.first || p.level > x.max_level_;
  if (change.entry_moved) {
    x.entry_ = slot;
    x.max_level_ = p.level;
  }
  ++x.epoch_;
  if (p.prepared) x.structural_epoch_ = x.epoch_;
}

std::unique_ptr<VectorInsertPlan> HnswIndex::plan_set(std::uint32_t id, std::span<const float> v) const {
  if (v.size() != dim_ || id == UINT32_MAX) return nullptr;
  if (id < slot_count_ && Impl::state(*this, id) != kFree) return nullptr;
  std::vector<float> q(v.begin(), v.end());
  if (metric_ == Metric::Cosine) normalise({q.data(), dim_});
  auto plan = std::make_unique<HnswInsertPlan>();
  Impl::prepare(*this, id, q.data(), *plan);
  Impl::plan_links(*this, *plan, q.data());
  return plan;
}

bool HnswIndex::apply_plan(std::uint32_t id, const VectorInsertPlan& plan) {
  const auto* p = dynamic_cast<const HnswInsertPlan*>(&plan);
  if (!p || !Impl::plan_valid(*this, *p, id)) {
    ++plans_stale_;
    return false;
  }
  Impl::apply_links(*this, *p, id);
  ++planned_;
  return true;
}

}  // namespace reco
