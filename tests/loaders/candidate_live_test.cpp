// The candidate ranker offline and online: the candidates and candidate values the trainer
// computes (candidate_lists.hpp, with the engine in process) are those the module computes
// for the same files during RECO.RECOMMEND (EXPLAIN shows them), within 1e-5, including
// users without a vector (no vector scores, vector rank 1) and items a source did not
// recall; and a candidate model trained offline and put on the catalog serves, through
// RECO.RECOMMEND ... MODEL, the scores the contract scorer gives the trainer's rows.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>

#include "live_fixture.hpp"
#include "reco_offline/bulk_loader.hpp"
#include "reco_offline/candidate_ranker.hpp"
#include "reco_offline/rank_export.hpp"
#include "reco_offline/rank_scorer.hpp"
#include "reco_offline/rank_trainer.hpp"
#include "reco_offline/redis_client.hpp"

using namespace reco_offline;
using namespace reco_offline::test;
using reco::test::RedisServer;

namespace {

double parse_double_or_die(const std::string& s) { return std::stod(s); }

TEST(CandidateLive, ModuleComputesTheTrainersCandidatesAndScores) {
  const LiveData data = LiveData::make(240, 220, 24000);
  reco_offline::test::TempDir dir;
  write_prepared(data.prepared, dir.path());
  // Every 6th user has no vector: the vector source says nothing for them.
  FactorTable users;
  for (size_t r = 0; r < data.users.ids.size(); ++r)
    if (r % 6 != 3) users.ids.push_back(data.users.ids[r]);
  users.vectors.resize(static_cast<Eigen::Index>(users.ids.size()), data.users.vectors.cols());
  for (size_t r = 0, w = 0; r < data.users.ids.size(); ++r)
    if (r % 6 != 3) users.vectors.row(static_cast<Eigen::Index>(w++)) = data.users.vectors.row(static_cast<Eigen::Index>(r));

  RedisServer server;
  server.start(RECO_MODULE_PATH);
  RedisConnection conn("127.0.0.1", server.port());
  LoadOptions options;
  options.progress = ProgressBar::Mode::Never;
  const int dim = static_cast<int>(data.items.vectors.cols());
  ASSERT_TRUE(ensure_catalog(conn, "movies", dim, "IP"));
  ASSERT_EQ(load_items(conn, data.prepared.items, &data.items, options).errors, 0u);
  ASSERT_EQ(load_users(conn, data.prepared.users, &users, options).errors, 0u);

  const CandidateWorld world = world_as_served(dir.path());
  const std::vector<CandidateList> lists = recall_candidates(world, data.items, users, reco::BlendConfig{}, 50);
  ASSERT_GT(lists.size(), 200u);

  // 1. Candidates and their values, every list, against EXPLAIN with all candidates back.
  size_t rows = 0, values = 0, no_vector = 0, not_recalled = 0;
  double worst = 0;
  for (const CandidateList& list : lists) {
    const std::string key = "user:" + world.users[list.user].record.id;
    const auto r = server.cmd({"RECO.RECOMMEND", "movies", key, "10000", "BUDGET", "POPULAR", "50", "EXPLAIN"});
    ASSERT_TRUE(r.is_array() && r.elements.size() == 4) << r.to_string();
    const auto& items = r.elements[1].elements;
    ASSERT_EQ(items.size(), list.items.size()) << key;
    for (size_t i = 0; i < items.size(); ++i) {
      ASSERT_EQ(items[i].elements.size(), 4u);
      EXPECT_EQ(items[i].elements[0].str, list.items[i]) << key << " #" << i;
      std::map<std::string, double> live;
      const auto& v = items[i].elements[3].elements;
      for (size_t k = 0; k + 1 < v.size(); k += 2) live[v[k].str] = parse_double_or_die(v[k + 1].str);
      const std::vector<NameValue> offline = candidate_values_text(list.signals[i]);
      EXPECT_EQ(live.size(), offline.size()) << key << " " << list.items[i];
      for (const auto& [name, text] : offline) {
        const auto it = live.find(name);
        ASSERT_NE(it, live.end()) << name;
        const double x = std::stod(text);
        worst = std::max(worst, std::abs(it->second - x) / std::max(1.0, std::abs(x)));
        ++values;
      }
      no_vector += !live.count("vector.score");
      not_recalled += live.at("term.rank") == 1.0 || live.at("vector.rank") == 1.0;
      ++rows;
    }
  }
  RecordProperty("candidate_rows", static_cast<int>(rows));
  RecordProperty("max_rel_diff", testing::PrintToString(worst));
  EXPECT_GT(rows, 5000u);
  EXPECT_GT(no_vector, 100u);
  EXPECT_GT(not_recalled, 1000u);
  EXPECT_LT(worst, 1e-5) << values << " values";

  // 2. A candidate model trained offline, served online.
  const CandidateWorld at_test = world_at_test_start(dir.path(), 10);
  const std::vector<CandidateList> train_lists = recall_candidates(at_test, data.items, users, reco::BlendConfig{}, 50);
  const CandidateSplit split = split_candidate_lists(at_test, train_lists, 0.2, 7);
  const RankSchema schema = make_candidate_schema(at_test, train_lists, split.train, "user:", 4, {8}, true);
  const RankEncoder encoder(schema);
  const RankRows train = encode_candidates(at_test, train_lists, split.train, encoder, "user:", 30, 7);
  RankConfig config;
  config.epochs = 2;
  config.train_auc = false;
  config.learning_rate = 0.01f;  // big steps: weights far from 0, so that a wrong input shows
  const RankResult trained = train_rank(rank_layout(schema), train, train, config);
  const std::string bytes = serialize_model_file(export_rank_model(schema, trained.model));
  const ModelFileScorer scorer(parse_model_file(bytes, "model"));
  ASSERT_EQ(server.cmd({"RECO.MODEL.PUT", "movies", "cand", bytes}).str, "OK");

  size_t scored = 0;
  double worst_score = 0;
  for (size_t n = 0; n < lists.size(); n += 3) {
    const CandidateList& list = lists[n];
    const std::string key = "user:" + world.users[list.user].record.id;
    const auto r = server.cmd({"RECO.RECOMMEND", "movies", key, "50", "MODEL", "cand", "WITHSCORES"});
    ASSERT_TRUE(r.is_array()) << r.to_string();
    std::map<std::string, size_t> at;
    for (size_t i = 0; i < list.items.size(); ++i) at[list.items[i]] = i;
    std::vector<double> offline;
    for (size_t i = 0; i < list.items.size(); ++i) offline.push_back(scorer.score(candidate_input(world, list, i, "user:")));
    std::vector<double> sorted = offline;
    std::sort(sorted.rbegin(), sorted.rend());
    ASSERT_EQ(r.elements.size(), 2 * std::min<size_t>(50, list.items.size()));
    for (size_t k = 0; k + 1 < r.elements.size(); k += 2) {
      const auto it = at.find(r.elements[k].str);
      ASSERT_NE(it, at.end()) << r.elements[k].str;
      const double live = std::stod(r.elements[k + 1].str);
      worst_score = std::max(worst_score, std::abs(live - offline[it->second]));
      worst_score = std::max(worst_score, std::abs(live - sorted[k / 2]));  // and in the trainer's order
      ++scored;
    }
  }
  RecordProperty("scored", static_cast<int>(scored));
  RecordProperty("max_score_diff", testing::PrintToString(worst_score));
  EXPECT_GT(scored, 3000u);
  EXPECT_LT(worst_score, 1e-5);
}

}  // namespace
