// Item-to-item scoring: what RECO.SIMILAR and the SESSION source of RECO.RECOMMEND rank by.
//
// Vectors trained for a user's inner product (reco-train: items [q_i, b_i], users [p_u, 1])
// answer a user query well and an item query badly: the inner product of two items adds the
// candidate's bias b_j (its popularity) and rewards long vectors (popular items again), so
// the same few titles head every "similar" list. So item-to-item queries score by the
// cosine over the catalog's non-bias dimensions (Catalog::bias_dim()), for IP and COSINE
// catalogs alike; an L2 catalog keeps its metric, the negated squared distance, over the
// non-bias dimensions. The user query path (the vector source) is not touched.
//
// How the candidates are found:
//   - exact search (INDEX FLAT, AUTO below EXACT_BELOW): every allowed item is scored so;
//     the answer is exact.
//   - graph search: the index is asked, with the query's bias dimension zeroed, for
//     max(kItemOverfetch x k, kItemMinCandidates, EF) candidates (under IP that is the inner product over the
//     non-bias dimensions), which are then re-scored. Approximate twice over: the walk
//     itself, and an item whose non-bias vector is short (high cosine, low inner product)
//     may not make the candidate list; bench/RESULTS.md measures the recall against the
//     exact scan.
// A COSINE or L2 catalog without a bias dimension already searches by the item-to-item
// score, so it takes the index's own path unchanged (same results as before). Queries may
// run on several threads: nothing shared is written, scratch space is per call.
#pragma once

#include <cstddef>
#include <span>
#include <vector>

#include "reco/catalog.hpp"
#include "reco/item_filter.hpp"
#include "reco/top_k.hpp"

namespace reco {

// Graph search: candidates fetched per result before re-scoring, and at least this many
// (at K = 10 on the demo's 3,706 x 33 graph, recall@10 against the exact scan was 0.82
// with 40 candidates, 0.97 with 100, 0.997 with 200: bench/RESULTS.md).
constexpr std::size_t kItemOverfetch = 4;
constexpr std::size_t kItemMinCandidates = 100;

// True when the index's own score is the item-to-item score (COSINE or L2, no bias
// dimension): item queries then are plain index searches.
bool item_search_is_direct(const Catalog& catalog) noexcept;

// The item-to-item score of two vectors in the catalog's stored form (see the top of this
// file): cosine over the non-bias dimensions (0 when either side is zero there), or under
// L2 the negated squared distance over them. For tests and offline checks.
float item_score(const Catalog& catalog, std::span<const float> a, std::span<const float> b);

// The k best items for `query` (an item's stored vector, or a mean of them) by the
// item-to-item score, among those `filter` allows, best first. `ef` 0: the catalog's
// EF_RUNTIME (graph searches).
std::vector<Hit> item_neighbours(const Catalog& catalog, std::span<const float> query, std::size_t k,
                                 const ItemFilter& filter, std::size_t ef = 0);

}  // namespace reco
