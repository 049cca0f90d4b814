// Ranking models over the wire: RECO.MODEL.* (put, activate, rollback, delete, list, info,
// A/B split), RECO.SCORE and model-ranked RECO.RECOMMEND, checked against the reference
// scorer of model_file.hpp; malformed models refused with the active version untouched;
// and models surviving DEBUG RELOAD and reaching replicas.
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "model_file.hpp"
#include "reco_data.hpp"
#include "redis_server.hpp"

namespace reco::test {
namespace {

struct ItemSpec {
  std::string id;
  std::vector<std::string> terms;
};
const std::vector<ItemSpec> kItems{{"a", {"Action"}},          {"b", {"Comedy", "Drama"}},
                                   {"c", {"Drama", "Noir"}},    {"d", {}},
                                   {"e", {"Noir"}},             {"f", {"Action", "Comedy"}}};

struct UserSpec {
  std::string key;
  std::optional<std::string> gender, age;
};
const std::vector<UserSpec> kUsers{{"u:f", "F", "25"},       {"u:m", "M", "61.5"},
                                   {"u:x", "X", "abc"},      {"u:none", std::nullopt, std::nullopt},
                                   {"u:cold", std::nullopt, std::nullopt}};  // no key at all

class Models : public ::testing::Test {
 protected:
  void SetUp() override {
    srv.start(RECO_MODULE_PATH);
    Client c = srv.client();
    std::vector<Args> cmds{{"RECO.CATALOG.CREATE", "m", "DIM", "2", "METRIC", "IP"}};
    float x = 0.1f;
    for (const ItemSpec& it : kItems) {
      Args a{"RECO.ITEM.SET", "m", it.id, "VALUES", "2", text(x), text(1 - x), "TERMS",
             std::to_string(it.terms.size())};
      for (const auto& t : it.terms) a.push_back(t);
      cmds.push_back(a);
      x += 0.15f;
    }
    for (const UserSpec& u : kUsers) {
      if (u.key == "u:cold") continue;
      Args a{"RECO.USER.SET", u.key, "VALUES", "2", "1", "0"};
      Args f;
      if (u.gender) f = concat(f, {"gender", *u.gender});
      if (u.age) f = concat(f, {"age", *u.age});
      if (!f.empty()) a = concat(concat(a, {"FEATURES", std::to_string(f.size() / 2)}), f);
      cmds.push_back(a);
    }
    load(c, cmds);
  }

  static TestModel::Row row(const UserSpec& u, const ItemSpec& it, std::optional<std::string> hour) {
    return {u.key == "u:none" ? std::nullopt : u.gender, u.key == "u:none" ? std::nullopt : u.age,
            it.id, it.terms, hour};
  }

  // RECO.SCORE for every user and item against the reference, with and without CONTEXT.
  void expect_scores(const TestModel& model, const std::string& version_arg) {
    Client c = srv.client();
    for (const UserSpec& u : kUsers) {
      for (std::optional<std::string> hour : {std::optional<std::string>{}, std::optional<std::string>{"evening"},
                                              std::optional<std::string>{"midnight"}}) {
        Args a{"RECO.SCORE", "m", u.key, std::to_string(kItems.size() + 1)};
        for (const ItemSpec& it : kItems) a.push_back(it.id);
        a.push_back("no-such-item");
        if (!version_arg.empty()) a = concat(a, {"MODEL", version_arg});
        if (hour) a = concat(a, {"CONTEXT", "1", "hour", *hour});
        Reply r = c.cmd(a);
        ASSERT_TRUE(r.is_array()) << join(a) << " -> " << r.to_string();
        ASSERT_EQ(r.elements.size(), kItems.size() + 1);
        for (std::size_t i = 0; i < kItems.size(); ++i) {
          double want = model.score(row(u, kItems[i], hour));
          EXPECT_NEAR(r.elements[i].as_double(), want, 1e-5)
              << u.key << " " << kItems[i].id << " hour=" << hour.value_or("-");
        }
        EXPECT_TRUE(r.elements.back().is_nil()) << r.elements.back().to_string();
      }
    }
  }

  std::string active() {
    Reply r = srv.cmd({"RECO.MODEL.LIST", "m"});
    for (const Reply& e : r.elements)
      if (e.elements.size() == 2 && e.elements[1].str == "active") return e.elements[0].str;
    return "";
  }

  RedisServer srv;
};

TEST_F(Models, ScoreMatchesTheReference) {
  TestModel v1(1, false), v2(2, true);
  ASSERT_EQ(srv.cmd({"RECO.MODEL.PUT", "m", "v1", v1.bytes(), "ACTIVATE"}).str, "OK");
  ASSERT_EQ(srv.cmd({"RECO.MODEL.PUT", "m", "v2", v2.bytes()}).str, "OK");
  expect_scores(v1, "");
  expect_scores(v2, "v2");
  // Items written after the model was put are prepared too.
  ASSERT_FALSE(srv.cmd({"RECO.ITEM.SET", "m", "a", "TERMS", "2", "Drama", "Comedy"}).is_error());
  TestModel::Row r{"F", "25", "a", {"Drama", "Comedy"}, std::nullopt};
  EXPECT_NEAR(srv.cmd({"RECO.SCORE", "m", "u:f", "1", "a"}).elements.at(0).as_double(), v1.score(r), 1e-5);
}

TEST_F(Models, RecommendRanksWithTheModel) {
  TestModel v1(3, true);
  ASSERT_EQ(srv.cmd({"RECO.MODEL.PUT", "m", "v1", v1.bytes(), "ACTIVATE"}).str, "OK");
  Reply r = srv.cmd({"RECO.RECOMMEND", "m", "u:f", "6", "WITHSCORES"});
  ASSERT_EQ(r.elements.size(), 12u) << r.to_string();
  double last = 2;
  for (std::size_t i = 0; i < r.elements.size(); i += 2) {
    const std::string& id = r.elements[i].str;
    const ItemSpec* it = nullptr;
    for (const auto& s : kItems)
      if (s.id == id) it = &s;
    ASSERT_NE(it, nullptr) << id;
    double want = v1.score(row(kUsers[0], *it, std::nullopt));
    EXPECT_NEAR(r.elements[i + 1].as_double(), want, 1e-5) << id;
    EXPECT_LE(r.elements[i + 1].as_double(), last + 1e-12) << "not in model order at " << id;
    last = r.elements[i + 1].as_double();
  }
  // EXPLAIN names the version; MODEL NONE falls back to the blend.
  auto stats = srv.cmd({"RECO.RECOMMEND", "m", "u:f", "3", "EXPLAIN"}).as_map()["stats"].as_map();
  EXPECT_EQ(stats["model"].str, "v1");
  auto none = srv.cmd({"RECO.RECOMMEND", "m", "u:f", "3", "MODEL", "NONE", "EXPLAIN"}).as_map()["stats"].as_map();
  EXPECT_EQ(none["model"].str, "");
  EXPECT_TRUE(srv.cmd({"RECO.RECOMMEND", "m", "u:f", "3", "MODEL", "v9"}).is_error());
}

TEST_F(Models, MalformedModelsAreRefusedAndTheActiveOneStays) {
  TestModel v1(4, false);
  ASSERT_EQ(srv.cmd({"RECO.MODEL.PUT", "m", "v1", v1.bytes(), "ACTIVATE"}).str, "OK");
  Reply list_before = srv.cmd({"RECO.MODEL.LIST", "m"});

  std::vector<std::pair<std::string, std::string>> bad;
  bad.push_back({"empty", ""});
  bad.push_back({"garbage", "not a model at all"});
  std::string good = v1.bytes();
  for (std::size_t cut : {std::size_t{4}, std::size_t{8}, std::size_t{20}, good.size() / 2, good.size() - 1})
    bad.push_back({"truncated at " + std::to_string(cut), good.substr(0, cut)});
  {
    TestModel m = v1;
    m.w["embed.item_id"][3] = std::nanf("");
    bad.push_back({"NaN weight", m.bytes()});
  }
  {
    auto t = v1.tensors();
    t[2].shape = {3, 5};  // embed.gender: wrong embedding size
    t[2].values.resize(15);
    bad.push_back({"wrong shape", safetensors_bytes(v1.schema(), t)});
  }
  {
    std::string s = v1.schema();
    s.replace(s.find("\"dense\""), 7, "\"fuzzy\"");
    bad.push_back({"unknown kind", safetensors_bytes(s, v1.tensors())});
  }
  {
    auto t = v1.tensors();
    t.pop_back();
    bad.push_back({"missing tensor", safetensors_bytes(v1.schema(), t)});
  }
  for (const auto& [what, bytes] : bad) {
    Reply r = srv.cmd({"RECO.MODEL.PUT", "m", "v2", bytes, "ACTIVATE"});
    ASSERT_TRUE(r.is_error()) << what;
    EXPECT_NE(r.str.find("model"), std::string::npos) << what << ": " << r.str;
    EXPECT_EQ(srv.cmd({"RECO.MODEL.LIST", "m"}).to_string(), list_before.to_string()) << what;
  }
  expect_scores(v1, "");
}

TEST_F(Models, VersionsActivateRollbackDelete) {
  TestModel v1(5, false), v2(6, true), v3(7, false);
  ASSERT_EQ(srv.cmd({"RECO.MODEL.PUT", "m", "v1", v1.bytes()}).str, "OK");
  EXPECT_EQ(active(), "");  // PUT without ACTIVATE keeps the current state
  ASSERT_EQ(srv.cmd({"RECO.MODEL.ACTIVATE", "m", "v1"}).str, "OK");
  ASSERT_EQ(srv.cmd({"RECO.MODEL.PUT", "m", "v2", v2.bytes(), "ACTIVATE"}).str, "OK");
  ASSERT_EQ(srv.cmd({"RECO.MODEL.PUT", "m", "v3", v3.bytes(), "ACTIVATE"}).str, "OK");
  EXPECT_EQ(active(), "v3");
  expect_scores(v3, "");
  EXPECT_TRUE(srv.cmd({"RECO.MODEL.PUT", "m", "v3", v1.bytes()}).is_error());  // versions are immutable
  EXPECT_EQ(srv.cmd({"RECO.MODEL.ROLLBACK", "m"}).str, "v2");
  expect_scores(v2, "");
  EXPECT_EQ(srv.cmd({"RECO.MODEL.ROLLBACK", "m"}).str, "v1");
  EXPECT_TRUE(srv.cmd({"RECO.MODEL.DEL", "m", "v1"}).is_error());  // the active one
  ASSERT_EQ(srv.cmd({"RECO.MODEL.DEL", "m", "v2"}).integer, 1);
  EXPECT_TRUE(srv.cmd({"RECO.MODEL.ACTIVATE", "m", "v2"}).is_error());
  auto info = srv.cmd({"RECO.MODEL.INFO", "m", "v1"}).as_map();
  EXPECT_EQ(info["active"].as_integer(), 1);
  EXPECT_EQ(info["fields"].as_integer(), 5);
  EXPECT_GT(info["memory_bytes"].as_integer(), 0);
}

TEST_F(Models, AbSplitRoutesUsersStablyAndHalfHalf) {
  TestModel v1(8, false), v2(9, false);
  ASSERT_EQ(srv.cmd({"RECO.MODEL.PUT", "m", "v1", v1.bytes(), "ACTIVATE"}).str, "OK");
  ASSERT_EQ(srv.cmd({"RECO.MODEL.PUT", "m", "v2", v2.bytes()}).str, "OK");
  ASSERT_EQ(srv.cmd({"RECO.MODEL.SPLIT", "m", "v1", "v2", "50"}).str, "OK");
  EXPECT_TRUE(srv.cmd({"RECO.MODEL.DEL", "m", "v2"}).is_error());  // in the split
  Client c = srv.client();
  std::vector<Args> cmds;
  const int n = 2000;
  for (int i = 0; i < n; ++i)
    cmds.push_back({"RECO.RECOMMEND", "m", "visitor:" + std::to_string(i), "2", "EXPLAIN"});
  auto first = pipeline(c, cmds);
  auto second = pipeline(c, cmds);
  std::map<std::string, int> count;
  for (int i = 0; i < n; ++i) {
    std::string a = first[i].as_map()["stats"].as_map()["model"].str;
    std::string b = second[i].as_map()["stats"].as_map()["model"].str;
    EXPECT_EQ(a, b) << "user " << i << " moved between versions";
    ++count[a];
  }
  EXPECT_EQ(count["v1"] + count["v2"], n);
  EXPECT_GE(count["v2"], n * 46 / 100);
  EXPECT_LE(count["v2"], n * 54 / 100);
  // INFO counts what each version served.
  auto i1 = srv.cmd({"RECO.MODEL.INFO", "m", "v1"}).as_map();
  auto i2 = srv.cmd({"RECO.MODEL.INFO", "m", "v2"}).as_map();
  EXPECT_EQ(i1["requests"].as_integer() + i2["requests"].as_integer(), 2 * n);
  EXPECT_EQ(i2["requests"].as_integer(), 2 * count["v2"]);
  auto info = srv.info("reco");
  EXPECT_EQ(info["reco_models"], "2");
  EXPECT_EQ(std::stoll(info["reco_model_requests"]), 2 * n);
  // The split survives a reload and a full sync, and routes the same way.
  ASSERT_EQ(srv.cmd({"DEBUG", "RELOAD"}).str, "OK");
  auto third = pipeline(c, cmds);
  for (int i = 0; i < n; i += 97)
    EXPECT_EQ(third[i].as_map()["stats"].as_map()["model"].str,
              first[i].as_map()["stats"].as_map()["model"].str);
  ASSERT_EQ(srv.cmd({"RECO.MODEL.SPLIT", "m", "OFF"}).str, "OK");
  EXPECT_EQ(srv.cmd({"RECO.RECOMMEND", "m", "visitor:1", "2", "EXPLAIN"}).as_map()["stats"].as_map()["model"].str, "v1");
}

TEST_F(Models, ReloadAndReplicaKeepModels) {
  TestModel v1(10, true), v2(11, false);
  ASSERT_EQ(srv.cmd({"RECO.MODEL.PUT", "m", "v1", v1.bytes(), "ACTIVATE"}).str, "OK");
  ASSERT_EQ(srv.cmd({"RECO.MODEL.PUT", "m", "v2", v2.bytes(), "ACTIVATE"}).str, "OK");
  ASSERT_EQ(srv.cmd({"RECO.MODEL.ROLLBACK", "m"}).str, "v1");
  std::string list = srv.cmd({"RECO.MODEL.LIST", "m"}).to_string();
  ASSERT_EQ(srv.cmd({"DEBUG", "RELOAD"}).str, "OK");
  EXPECT_EQ(srv.cmd({"RECO.MODEL.LIST", "m"}).to_string(), list);
  expect_scores(v1, "");
  expect_scores(v2, "v2");

  RedisServer replica;
  replica.start(RECO_MODULE_PATH);
  replica.replica_of(srv);
  wait_for_sync(srv, replica);
  EXPECT_EQ(replica.cmd({"RECO.MODEL.LIST", "m"}).to_string(), list);
  ASSERT_EQ(srv.cmd({"RECO.MODEL.ACTIVATE", "m", "v2"}).str, "OK");
  wait_for_sync(srv, replica);
  Args q{"RECO.SCORE", "m", "u:f", "2", "a", "b"};
  EXPECT_EQ(replica.cmd(q).to_string(), srv.cmd(q).to_string());
  EXPECT_TRUE(replica.cmd({"RECO.MODEL.ACTIVATE", "m", "v1"}).is_error());
}

TEST_F(Models, InfoShowsTheRunRecordAndReloadKeepsIt) {
  TestModel plain(12, false), traced(13, false);
  const std::string run = R"({"tool":"reco-rank","version":"0.1.0","data_digest":"0123456789abcdef"})";
  ASSERT_EQ(srv.cmd({"RECO.MODEL.PUT", "m", "plain", plain.bytes()}).str, "OK");
  ASSERT_EQ(srv.cmd({"RECO.MODEL.PUT", "m", "traced", safetensors_bytes(traced.schema(), traced.tensors(), run)}).str,
            "OK");
  EXPECT_EQ(srv.cmd({"RECO.MODEL.INFO", "m", "plain"}).as_map()["run"].str, "");
  EXPECT_EQ(srv.cmd({"RECO.MODEL.INFO", "m", "traced"}).as_map()["run"].str, run);
  ASSERT_EQ(srv.cmd({"DEBUG", "RELOAD"}).str, "OK");
  EXPECT_EQ(srv.cmd({"RECO.MODEL.INFO", "m", "traced"}).as_map()["run"].str, run);
  Reply bad = srv.cmd({"RECO.MODEL.PUT", "m", "bad", safetensors_bytes(traced.schema(), traced.tensors(), "[1]")});
  ASSERT_TRUE(bad.is_error());
  EXPECT_NE(bad.str.find("run record"), std::string::npos) << bad.str;
}

TEST_F(Models, BadArgumentsAreRefused) {
  TestModel v1(12, false);
  ASSERT_EQ(srv.cmd({"RECO.MODEL.PUT", "m", "v1", v1.bytes(), "ACTIVATE"}).str, "OK");
  for (const Args& a : std::vector<Args>{
           {"RECO.MODEL.PUT", "nope", "v1", v1.bytes()},
           {"RECO.MODEL.PUT", "m", "", v1.bytes()},
           {"RECO.MODEL.PUT", "m", "v9", v1.bytes(), "NOW"},
           {"RECO.MODEL.ACTIVATE", "m", "v9"},
           {"RECO.MODEL.SPLIT", "m", "v1", "v1", "50"},
           {"RECO.MODEL.SPLIT", "m", "v1", "v9", "50"},
           {"RECO.MODEL.SPLIT", "m", "v1", "v1", "101"},
           {"RECO.SCORE", "m", "u:f", "2", "a"},
           {"RECO.SCORE", "m", "u:f", "0"},
           {"RECO.SCORE", "m", "u:f", "1", "a", "CONTEXT", "1", "hour"},
           {"RECO.SCORE", "m", "u:f", "1", "a", "MODEL", "v9"},
       }) {
    Reply r = srv.cmd(a);
    EXPECT_TRUE(r.is_error()) << join(a) << " -> " << r.to_string();
  }
  // A catalog without a model: SCORE says so.
  ASSERT_FALSE(srv.cmd({"RECO.CATALOG.CREATE", "bare", "DIM", "2"}).is_error());
  EXPECT_TRUE(srv.cmd({"RECO.SCORE", "bare", "u:f", "1", "a"}).is_error());
  EXPECT_EQ(active(), "v1");
}

}  // namespace
}  // namespace reco::test

namespace reco::test {
namespace {

// RECO.CATALOG.INFO version counts every change, model commands included, and does not move
// on an idempotent re-send.
TEST_F(Models, CatalogVersionCountsModelChangesButNotResends) {
  auto version = [&] { return srv.cmd({"RECO.CATALOG.INFO", "m"}).as_map()["version"].as_integer(); };
  TestModel v1(1, false), v2(2, false);
  long long v = version();
  auto expect_step = [&](const Args& cmd, long long step) {
    Reply r = srv.cmd(cmd);
    ASSERT_FALSE(r.is_error()) << cmd[0] << ": " << r.str;
    EXPECT_EQ(version(), v + step) << join(cmd);
    v = version();
  };
  expect_step({"RECO.MODEL.PUT", "m", "v1", v1.bytes()}, 1);
  expect_step({"RECO.MODEL.PUT", "m", "v1", v1.bytes()}, 0);  // the same bytes again
  expect_step({"RECO.MODEL.ACTIVATE", "m", "v1"}, 1);
  expect_step({"RECO.MODEL.ACTIVATE", "m", "v1"}, 0);
  expect_step({"RECO.MODEL.PUT", "m", "v2", v2.bytes(), "ACTIVATE"}, 1);
  expect_step({"RECO.MODEL.SPLIT", "m", "v1", "v2", "10"}, 1);
  expect_step({"RECO.MODEL.SPLIT", "m", "v1", "v2", "10"}, 0);
  expect_step({"RECO.MODEL.SPLIT", "m", "v1", "v2", "20"}, 1);
  expect_step({"RECO.MODEL.SPLIT", "m", "OFF"}, 1);
  expect_step({"RECO.MODEL.SPLIT", "m", "OFF"}, 0);
  expect_step({"RECO.MODEL.ROLLBACK", "m"}, 1);
  expect_step({"RECO.MODEL.DEL", "m", "v2"}, 1);
  expect_step({"RECO.MODEL.DEL", "m", "v2"}, 0);  // already gone: replies 0
  // Refused commands change nothing.
  EXPECT_TRUE(srv.cmd({"RECO.MODEL.ACTIVATE", "m", "nope"}).is_error());
  EXPECT_TRUE(srv.cmd({"RECO.MODEL.PUT", "m", "v3", "not a model"}).is_error());
  EXPECT_EQ(version(), v);
}

// RECO.MODEL.INFO's recent_* fields: the served scores of the latest requests, here
// exactly the scores the SCORE replies carried.
TEST_F(Models, InfoReportsTheRecentScores) {
  TestModel v1(1, false);
  ASSERT_EQ(srv.cmd({"RECO.MODEL.PUT", "m", "v1", v1.bytes(), "ACTIVATE"}).str, "OK");
  auto info = [&] { return srv.cmd({"RECO.MODEL.INFO", "m", "v1"}).as_map(); };
  EXPECT_EQ(info()["recent_scores"].as_integer(), 0);
  double sum = 0, sq = 0;
  long long n = 0;
  for (const UserSpec& u : kUsers) {
    Args a{"RECO.SCORE", "m", u.key, std::to_string(kItems.size())};
    for (const ItemSpec& it : kItems) a.push_back(it.id);
    Reply r = srv.cmd(a);
    ASSERT_TRUE(r.is_array()) << r.to_string();
    for (const Reply& e : r.elements) {
      const double x = e.as_double();
      sum += x;
      sq += x * x;
      ++n;
    }
  }
  auto m = info();
  EXPECT_EQ(m["recent_requests"].as_integer(), static_cast<long long>(kUsers.size()));
  EXPECT_EQ(m["recent_scores"].as_integer(), n);
  const double mean = sum / n;
  EXPECT_NEAR(m["recent_score_mean"].as_double(), mean, 1e-6);
  EXPECT_NEAR(m["recent_score_std"].as_double(), std::sqrt(sq / n - mean * mean), 1e-6);
  EXPECT_GT(m["recent_score_std"].as_double(), 0.0);
  // The inputs' drift signals. Over the 5 requests: gender and age known for u:f and u:m,
  // unknown for u:x ("X", "abc"), missing for u:none and u:cold; no request sent an hour.
  EXPECT_NEAR(m["field.gender.missing"].as_double(), 2.0 / 5, 1e-12);
  EXPECT_NEAR(m["field.gender.unknown"].as_double(), 1.0 / 5, 1e-12);
  EXPECT_NEAR(m["field.age.missing"].as_double(), 2.0 / 5, 1e-12);
  EXPECT_NEAR(m["field.age.unknown"].as_double(), 1.0 / 5, 1e-12);
  EXPECT_NEAR(m["field.hour.missing"].as_double(), 1.0, 1e-12);
  EXPECT_NEAR(m["field.hour.unknown"].as_double(), 0.0, 1e-12);
  // Over the 6 items: ids e and f are not in the vocabulary; d has no genre, e only "Noir".
  EXPECT_NEAR(m["field.item_id.missing"].as_double(), 0.0, 1e-12);
  EXPECT_NEAR(m["field.item_id.unknown"].as_double(), 2.0 / 6, 1e-12);
  EXPECT_NEAR(m["field.genres.missing"].as_double(), 1.0 / 6, 1e-12);
  EXPECT_NEAR(m["field.genres.unknown"].as_double(), 1.0 / 6, 1e-12);
  // An item write moves the item shares: d gets a known genre.
  ASSERT_EQ(srv.cmd({"RECO.ITEM.SET", "m", "d", "TERMS", "1", "Comedy"}).integer, 0);
  EXPECT_NEAR(info()["field.genres.missing"].as_double(), 0.0, 1e-12);
}

}  // namespace
}  // namespace reco::test
