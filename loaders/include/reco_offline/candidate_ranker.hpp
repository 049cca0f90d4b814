// The candidate ranker: a ranking model (linear + FM + MLP, the model file contract) that
// learns to order the candidates RECO.RECOMMEND's recall produces, from what users picked
// next (candidate_lists.hpp). Its fields are those of the original ranker's family that
// the module holds anyway (item genres, optionally the item id; the user's demographics
// and genre terms) plus every candidate field (reco/candidate_fields.hpp): each source's
// rank and score, the blend score, popularity, age and the user's seen-set popularity, as
// linear terms and MLP inputs.
//
// Training rows are every positive of a training user's list and `negatives` of its other
// candidates drawn at random (logistic loss over sampled candidates; the sampling shifts
// only the bias, not the order within a list). A share of the users is kept aside and
// judges every epoch by served NDCG@k of their whole lists reordered by the model, the
// quantity reco-eval later measures on the held-out part; the best epoch is kept.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "reco_offline/candidate_lists.hpp"
#include "reco_offline/rank_features.hpp"
#include "reco_offline/rank_model.hpp"
#include "reco_offline/ranking_metrics.hpp"

namespace reco_offline {

// Fields of the candidate ranker; vocabularies from the world's items and users, candidate
// fields standardised over the present values of the training lists.
// `item_id`: also a categorical item id field (off by default: it overfits, see reco-rank).
RankSchema make_candidate_schema(const CandidateWorld& world, const std::vector<CandidateList>& lists,
                                 const std::vector<size_t>& train_lists, const std::string& user_prefix, int dim,
                                 const std::vector<int>& hidden, bool item_id = false);

// Candidate i of `list` as the module sees it during the request.
RankInput candidate_input(const CandidateWorld& world, const CandidateList& list, size_t i,
                          const std::string& user_prefix);

// Lists split by user: every `1 / share`-th user (by a seeded hash of the id) judges.
struct CandidateSplit {
  std::vector<size_t> train, judge;  // indexes into the lists
};
CandidateSplit split_candidate_lists(const CandidateWorld& world, const std::vector<CandidateList>& lists,
                                     double judge_share, uint64_t seed);

// Encoded rows of the lists `which`: all candidates (negatives 0) or every positive plus up
// to `negatives` sampled others per list. `offsets` (if given) gets each list's first row
// and the end (only meaningful for all candidates).
RankRows encode_candidates(const CandidateWorld& world, const std::vector<CandidateList>& lists,
                           const std::vector<size_t>& which, const RankEncoder& encoder, const std::string& user_prefix,
                           size_t negatives, uint64_t seed, std::vector<size_t>* offsets = nullptr);

// Every list as TSV: a header, then user, item, label and each candidate value (empty when
// missing), one candidate per line, lists in world order, candidates in the blend's order.
void write_candidate_lists(const std::string& path, const CandidateWorld& world,
                           const std::vector<CandidateList>& lists);

// Served metrics at k of the lists `which` ordered by `scores` (one per row of the rows
// encode_candidates wrote for them with all candidates; ties keep the blend's order), or by
// the blend (scores empty), against each user's relevant items.
RankingMetrics served_metrics(const CandidateWorld& world, const std::vector<CandidateList>& lists,
                              const std::vector<size_t>& which, const std::vector<size_t>& offsets,
                              const std::vector<float>& scores, size_t k);

}  // namespace reco_offline
