// The candidates RECO.RECOMMEND's recall produces (MODEL NONE), computed offline with the
// engine's own recommend() on an in-process catalog, with each candidate's signals (each
// source's rank and score, the blend score, popularity, age: reco/candidate_fields.hpp).
// They are what the candidate ranker learns from, and what it is judged on: the same code
// computes them inside the module for every request, so a model's candidate fields see
// offline what they will see online.
//
// Two moments of a prepared directory:
//   - at the start of the test part (training the ranker): the catalog holds the vectors of
//     the training part (reco-train's train_part/), popularity and time from the training
//     rows; a user has the training vector, the point-in-time terms of their first test
//     row, the training items as seen-set; what they picked next is their first `per_user`
//     test items.
//   - as served (reco-load of the directory): items.tsv and users.tsv as they are, with
//     the served vectors; what comes next is the held-out part.
// Under an exact index (the default AUTO below EXACT_BELOW items, or FLAT) the lists are
// those the module computes from the same files; a graph index may differ slightly, since
// the module and this catalog build their graphs through different write paths.
#pragma once

#include <cstddef>
#include <string>
#include <unordered_map>
#include <vector>

#include "reco/blend.hpp"
#include "reco/candidate_fields.hpp"
#include "reco_offline/factor_files.hpp"
#include "reco_offline/records.hpp"

namespace reco_offline {

struct CandidateUser {
  UserRecord record;                  // id, terms, seen, features
  std::vector<std::string> relevant;  // what the user picked next, in time order
};

struct CandidateWorld {
  std::vector<ItemRecord> items;  // popularity and time as of the moment
  std::unordered_map<std::string, size_t> item_pos;  // id -> index into items
  std::vector<CandidateUser> users;
};

CandidateWorld world_at_test_start(const std::string& prepared_dir, size_t per_user);
CandidateWorld world_as_served(const std::string& prepared_dir);

struct CandidateList {
  size_t user = 0;                          // index into CandidateWorld::users
  std::vector<std::string> items;           // every candidate, in the blend's order
  std::vector<reco::CandidateSignals> signals;
  std::vector<uint8_t> label;               // 1: among the user's relevant items
  size_t relevant = 0;                      // the user's relevant items (in the list or not)
};

// One list per user (in world order) whose recall found anything. The request is the
// served one: `serve_k` results (the popular budget follows it), the catalog's `blend`,
// the catalog built from world.items and `item_vectors` (metric IP, the engine's default
// index), each user's vector from `user_vectors` (none if absent).
std::vector<CandidateList> recall_candidates(const CandidateWorld& world, const FactorTable& item_vectors,
                                             const FactorTable& user_vectors, const reco::BlendConfig& blend,
                                             size_t serve_k);

// The candidate values as RankInput::candidate text (shortest round-trip of each float as
// a double, so the trainer parses exactly the float the engine holds); missing ones absent.
std::vector<NameValue> candidate_values_text(const reco::CandidateSignals& s);

}  // namespace reco_offline
