// What the engine knows about a candidate once recall has found it: each source's rank and
// score, the blend score, the item's popularity and age. A ranking model may read these as
// "candidate" fields (side "candidate", source "candidate:<value>", reco/model_schema.hpp),
// so that a ranker trained on RECO.RECOMMEND's own candidates sees, online, exactly the
// signals the recall produced for it.
//
// Values (raw, before the field's mean/std):
//   <source>.rank    position in the source's list / the source's budget, in [0, 1);
//                    1 when that source did not recall the candidate (vector, term,
//                    session, popular)
//   <source>.score   the source's own score of the candidate, whether that source recalled
//                    it or not: the metric's similarity of the user's vector and the item's
//                    stored vector, computed in double (vector); the sum of the user's
//                    positive term weights of the terms the item carries (term); the
//                    item-to-item score against the session (session). Missing when the
//                    request has no such signal (no user vector, no terms, no session) or
//                    the item has no vector
//   blend.score      the candidate's blend score (reco/blend.hpp), popularity term included
//   popularity       ln(1 + the item's popularity)
//   age              days from the item's time to the newest candidate's time (>= 0)
// and two values of the request, the same for all its candidates, which let a model weigh
// the sources per user (how much this user follows popularity):
//   user.popularity  the mean ln(1 + popularity) of the user's seen items in the catalog;
//                    missing when none is
//   user.seen        ln(1 + how many of the user's seen items the catalog holds)
// A missing value is NaN here and reaches the model as the field's mean (x = 0), as every
// missing dense value does. RECO.SCORE has no recall: every candidate field is missing there.
#pragma once

#include <array>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <string_view>

#include "reco/blend.hpp"

namespace reco {

enum class CandidateValue : std::uint8_t {
  VectorRank, TermRank, SessionRank, PopularRank,
  VectorScore, TermScore, SessionScore,
  BlendScore, Popularity, Age,
  UserPopularity, UserSeen
};
constexpr std::size_t kCandidateValueCount = 12;

std::string_view candidate_value_name(CandidateValue v);
std::optional<CandidateValue> parse_candidate_value(std::string_view name);  // exact spelling

// One candidate's signals, filled by recommend() as the sources contribute.
struct CandidateSignals {
  static constexpr float kMissing = std::numeric_limits<float>::quiet_NaN();
  std::array<float, kSourceCount> rank{1.0f, 1.0f, 1.0f, 1.0f};
  std::array<float, kSourceCount> score{kMissing, kMissing, kMissing, kMissing};
  float blend = 0;
  float popularity = 0;  // ln(1 + popularity)
  float age = 0;         // days
  float user_popularity = kMissing;
  float user_seen = 0;

  // NaN = missing. (The popular source has no score of its own: its rank is the signal.)
  float value(CandidateValue v) const noexcept {
    switch (v) {
      case CandidateValue::VectorRank: return rank[0];
      case CandidateValue::TermRank: return rank[1];
      case CandidateValue::SessionRank: return rank[2];
      case CandidateValue::PopularRank: return rank[3];
      case CandidateValue::VectorScore: return score[0];
      case CandidateValue::TermScore: return score[1];
      case CandidateValue::SessionScore: return score[2];
      case CandidateValue::BlendScore: return blend;
      case CandidateValue::Popularity: return popularity;
      case CandidateValue::Age: return age;
      case CandidateValue::UserPopularity: return user_popularity;
      case CandidateValue::UserSeen: return user_seen;
    }
    return kMissing;
  }
};

}  // namespace reco
