// The ranking model's inputs, built from a prepared directory: for every row of
// the time split, the user and item ids, the user's demographics, the item's
// genres and the user's point-in-time genre statistics (per genre, how many of
// the user's previous `window` ratings were of that genre, "impressions", and
// how many of those were likes, "clicks"; strictly before the row's time, as
// the prepared terms are). The online store gets the same statistics as of the
// start of each user's held-out part, as user features g_imp_<genre> and
// g_clk_<genre> in an augmented users file (users.tsv format), so that the
// module computes from its own data what the trainer saw.
//
// Every value reaches the model through a RankSchema, which maps raw values to
// rows exactly as the model file contract says (row 0 = unknown or missing,
// dense x = (raw - mean) / std, missing = 0), so that the rows the trainer
// learns from and the rows the module scores are encoded by the same rules.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "reco_offline/dataset.hpp"
#include "reco_offline/records.hpp"

namespace reco_offline {

// One (user, item) row as the module sees it: raw strings, nothing encoded.
struct RankInput {
  std::string user_key;                    // the user's key name (prefix + id)
  std::vector<NameValue> user_features;
  std::vector<std::string> user_terms;
  std::string item_id;
  std::vector<NameValue> item_features;
  std::vector<std::string> item_terms;
  std::vector<NameValue> context;
  // Candidate values by name (reco/candidate_fields.hpp), as decimal text; absent = missing.
  std::vector<NameValue> candidate;
};

enum class RankKind { Categorical, Multi, Dense };

struct RankField {
  std::string name;
  std::string side;    // user, item, context, candidate
  RankKind kind = RankKind::Categorical;
  std::string source;  // "id", "terms", "feature:<name>" or "candidate:<value>"
  std::vector<std::string> vocab;  // categorical / multi: raw value -> row 1..V
  double mean = 0, std = 1;        // dense
};

// Fields in model order: categorical, then multi, then dense (the order of
// the embedding slots and of the MLP inputs).
struct RankSchema {
  std::vector<RankField> categorical, multi, dense;
  std::string user_prefix = "user:";
  int dim = 16;
  std::vector<int> hidden{64, 32};
};

// Rows encoded for the model, stored flat.
struct RankRows {
  size_t n_cat = 0, n_multi = 0, n_dense = 0;
  std::vector<uint32_t> cat;            // size() x n_cat
  std::vector<uint32_t> multi_offsets{0};  // size() x n_multi + 1, ranges into multi_rows
  std::vector<uint32_t> multi_rows;
  std::vector<float> dense;             // size() x n_dense, standardized
  std::vector<float> label;
  size_t size() const { return label.size(); }
};

// Maps raw values to rows by the contract's rules.
class RankEncoder {
 public:
  explicit RankEncoder(const RankSchema& schema);
  const RankSchema& schema() const { return schema_; }
  RankRows empty_rows() const;
  // Appends one encoded row.
  void append(const RankInput& input, float label, RankRows& out) const;

 private:
  const RankSchema& schema_;
  std::vector<std::unordered_map<std::string, uint32_t>> cat_index_, multi_index_;
};

// A parsed dense raw value: finite number, whole string; false = missing.
bool parse_rank_number(const std::string& s, double& out);

// One part of the split with the per-row genre counts.
struct RankPart {
  std::vector<Rating> rows;
  std::vector<float> counts;  // rows x (2 x genres): impressions per genre, then clicks per genre
};

struct RankData {
  std::vector<std::string> genres;             // genres of the statistics, in field order
  std::vector<ItemRecord> items;               // items.tsv
  std::vector<UserRecord> users;               // users.tsv
  std::unordered_map<Id, size_t> item_pos, user_pos;  // numeric id -> position in items/users
  RankPart train, test, holdout;
  std::vector<float> online_counts;            // users x (2 x genres), as of each user's held-out start
  size_t window = 10;
};

// Reads items.tsv, users.tsv, train.tsv, test.tsv, holdout.tsv of `dir`.
RankData load_rank_data(const std::string& dir, size_t window);

std::string genre_impressions_name(const std::string& genre);
std::string genre_clicks_name(const std::string& genre);

// The schema of the ranking model for this data: vocabularies from the
// training rows (ids seen in training; every demographic value and genre of
// the files), dense statistics standardized on the training rows.
RankSchema make_rank_schema(const RankData& data, const std::string& user_prefix, int dim,
                            const std::vector<int>& hidden);

// The raw input of row `r` of `part`, as the module would see it after the
// augmented users file is loaded (with the row's point-in-time statistics).
RankInput rank_input(const RankData& data, const RankPart& part, size_t r, const std::string& user_prefix);

// Every row of a part, encoded (label = rating > 3).
RankRows encode_part(const RankData& data, const RankPart& part, const RankEncoder& encoder);

// users.tsv records with the online statistics appended as features (every
// genre, zeros included: a missing dense feature means "the mean", not 0).
std::vector<UserRecord> users_with_statistics(const RankData& data);

}  // namespace reco_offline
