// Names of the candidate values (see reco/candidate_fields.hpp). One table, so that the
// schema parser, EXPLAIN and the offline trainer spell them alike.
#include "reco/candidate_fields.hpp"

namespace reco {
namespace {

constexpr std::array<std::string_view, kCandidateValueCount> kNames = {
    "vector.rank", "term.rank",     "session.rank", "popular.rank", "vector.score",
    "term.score",  "session.score", "blend.score",  "popularity",   "age",
    "user.popularity", "user.seen"};

}  // namespace

std::string_view candidate_value_name(CandidateValue v) { return kNames[static_cast<std::size_t>(v)]; }

std::optional<CandidateValue> parse_candidate_value(std::string_view name) {
  for (std::size_t i = 0; i < kNames.size(); ++i)
    if (kNames[i] == name) return static_cast<CandidateValue>(i);
  return std::nullopt;
}

}  // namespace reco
