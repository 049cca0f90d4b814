// The bulk loader against a live redis-server with the module: what the files
// say is what the module holds (vectors bit for bit, terms, popularity, time,
// features, seen-sets), a second load changes nothing, a catalog of another
// dimension is refused untouched, per-record errors are counted with their
// ids, and what is served agrees with the offline references computed from
// the same files (popularity order, exact inner-product top K, seen excluded).
#include <gtest/gtest.h>

#include <set>

#include "live_fixture.hpp"
#include "reco_offline/bulk_loader.hpp"
#include "reco_offline/offline_rankers.hpp"
#include "reco_offline/text_input.hpp"

using namespace reco_offline;
using reco_offline::test::LiveData;
using reco::test::RedisServer;

namespace {

class LiveLoader : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    data = new LiveData(LiveData::make(150, 250, 15000));
    server = new RedisServer();
    server->start(RECO_MODULE_PATH);
  }
  static void TearDownTestSuite() {
    delete server;
    delete data;
  }
  void SetUp() override {
    server->cmd({"FLUSHALL"});
    server->cmd({"RECO.CATALOG.DROP", "movies"});
    conn = std::make_unique<RedisConnection>("127.0.0.1", server->port());
    options.progress = ProgressBar::Mode::Never;
    options.window = 64;  // small, so that the window logic is exercised
  }
  void load_all() {
    ASSERT_TRUE(ensure_catalog(*conn, "movies", 8, "IP"));
    const LoadSummary items = load_items(*conn, data->prepared.items, &data->items, options);
    EXPECT_EQ(items.errors, 0u) << (items.first_errors.empty() ? "" : items.first_errors[0]);
    const LoadSummary users = load_users(*conn, data->prepared.users, &data->users, options);
    EXPECT_EQ(users.errors, 0u) << (users.first_errors.empty() ? "" : users.first_errors[0]);
  }
  std::set<std::string> seen_of(const UserRecord& u) { return {u.seen.begin(), u.seen.end()}; }

  static LiveData* data;
  static RedisServer* server;
  std::unique_ptr<RedisConnection> conn;
  LoadOptions options;
};
LiveData* LiveLoader::data = nullptr;
RedisServer* LiveLoader::server = nullptr;

TEST_F(LiveLoader, WhatTheFilesSayIsWhatTheModuleHolds) {
  load_all();
  const auto info = server->cmd({"RECO.CATALOG.INFO", "movies"}).as_map();
  EXPECT_EQ(info.at("items").as_integer(), static_cast<long long>(data->prepared.items.size()));
  EXPECT_EQ(info.at("items_with_vector").as_integer(), static_cast<long long>(data->items.ids.size()));
  EXPECT_EQ(server->cmd({"DBSIZE"}).integer, static_cast<long long>(data->prepared.users.size()));

  // One item, field by field: [vector, terms, popularity, time, features].
  const ItemRecord& it = data->prepared.items[3];
  const auto got = server->cmd({"RECO.ITEM.GET", "movies", it.id});
  ASSERT_TRUE(got.is_array()) << got.to_string();
  const auto fields = got.as_map();
  const auto row = std::find(data->items.ids.begin(), data->items.ids.end(), it.id) - data->items.ids.begin();
  const std::vector<float> vec = reco_offline::test::floats_of(fields.at("vector"));
  ASSERT_EQ(vec.size(), 8u);
  for (int k = 0; k < 8; ++k) EXPECT_EQ(vec[k], data->items.vectors(row, k)) << "component " << k;
  EXPECT_EQ(fields.at("terms").strings(), it.terms);
  EXPECT_EQ(fields.at("popularity").as_double(), it.popularity);
  EXPECT_EQ(fields.at("time").as_integer(), it.time);
  std::vector<std::string> features;
  for (const auto& [n, v] : it.features) features.push_back(n), features.push_back(v);
  EXPECT_EQ(fields.at("features").strings(), features);

  // One user: vector, terms, features, seen_count.
  const UserRecord& u = data->prepared.users[5];
  const auto ufields = server->cmd({"RECO.USER.GET", "user:" + u.id}).as_map();
  EXPECT_EQ(ufields.at("seen_count").as_integer(), static_cast<long long>(u.seen.size()));
  EXPECT_EQ(reco_offline::test::floats_of(ufields.at("vector")).size(), 8u);
  const auto terms = ufields.at("terms").strings();
  ASSERT_EQ(terms.size(), 2 * u.terms.size());
  for (size_t k = 0; k < u.terms.size(); ++k) {
    EXPECT_EQ(terms[2 * k], u.terms[k].first);
    EXPECT_FLOAT_EQ(std::stof(terms[2 * k + 1]), u.terms[k].second);
  }
  for (const auto& s : {u.seen.front(), u.seen.back()})
    EXPECT_EQ(server->cmd({"RECO.USER.SEEN.HAS", "user:" + u.id, s}).integer, 1);
}

TEST_F(LiveLoader, LoadingTwiceChangesNothing) {
  load_all();
  const auto before = server->cmd({"RECO.CATALOG.INFO", "movies"}).as_map();
  const auto user_before = server->cmd({"RECO.USER.GET", "user:" + data->prepared.users[0].id}).to_string();
  EXPECT_FALSE(ensure_catalog(*conn, "movies", 8, "IP"));  // kept
  const LoadSummary again = load_items(*conn, data->prepared.items, &data->items, options);
  EXPECT_EQ(again.created, 0u);
  EXPECT_EQ(again.errors, 0u);
  load_users(*conn, data->prepared.users, &data->users, options);
  const auto after = server->cmd({"RECO.CATALOG.INFO", "movies"}).as_map();
  EXPECT_EQ(after.at("items").as_integer(), before.at("items").as_integer());
  EXPECT_EQ(after.at("items_with_vector").as_integer(), before.at("items_with_vector").as_integer());
  EXPECT_EQ(after.at("terms").as_integer(), before.at("terms").as_integer());
  EXPECT_EQ(server->cmd({"DBSIZE"}).integer, static_cast<long long>(data->prepared.users.size()));
  EXPECT_EQ(server->cmd({"RECO.USER.GET", "user:" + data->prepared.users[0].id}).to_string(), user_before);
}

TEST_F(LiveLoader, SeveralConnectionsLoadTheSameContent) {
  load_all();
  const std::string one = server->cmd({"RECO.CATALOG.INFO", "movies", "digest"}).to_string();
  const std::string user = server->cmd({"RECO.USER.GET", "user:" + data->prepared.users[7].id}).to_string();
  server->cmd({"FLUSHALL"});
  server->cmd({"RECO.CATALOG.DROP", "movies"});
  options.connections = 3;
  options.port = server->port();
  load_all();
  // The content digest does not depend on the order of writes: the same items, vectors,
  // terms, popularity and features arrived, whichever connection carried them.
  EXPECT_EQ(server->cmd({"RECO.CATALOG.INFO", "movies", "digest"}).to_string(), one);
  EXPECT_EQ(server->cmd({"RECO.USER.GET", "user:" + data->prepared.users[7].id}).to_string(), user);
  EXPECT_EQ(server->cmd({"DBSIZE"}).integer, static_cast<long long>(data->prepared.users.size()));
  // A server that refuses the extra connections fails the load before anything is sent.
  options.port = 1;
  EXPECT_THROW(load_items(*conn, data->prepared.items, &data->items, options), RedisError);
}

TEST_F(LiveLoader, CatalogOfAnotherDimensionIsRefusedUntouched) {
  load_all();
  const auto before = server->cmd({"RECO.CATALOG.INFO", "movies"}).to_string();
  EXPECT_THROW(ensure_catalog(*conn, "movies", 9, "IP"), DataError);
  EXPECT_EQ(server->cmd({"RECO.CATALOG.INFO", "movies"}).to_string(), before);
}

TEST_F(LiveLoader, IndexOptionChoosesTheCatalogsIndex) {
  ASSERT_TRUE(ensure_catalog(*conn, "flat", 8, "IP", "FLAT"));
  EXPECT_EQ(server->cmd({"RECO.CATALOG.INFO", "flat"}).as_map().at("index_type").str, "FLAT");
  ASSERT_TRUE(ensure_catalog(*conn, "default", 8, "IP"));
  EXPECT_EQ(server->cmd({"RECO.CATALOG.INFO", "default"}).as_map().at("index_type").str, "AUTO");
}

TEST_F(LiveLoader, RecordErrorsAreCountedWithTheirIds) {
  ASSERT_TRUE(ensure_catalog(*conn, "movies", 8, "IP"));
  const std::string victim = data->prepared.users[2].id;
  server->cmd({"SET", "user:" + victim, "not a reco user"});
  options.keep_errors = 3;
  const LoadSummary s = load_users(*conn, data->prepared.users, &data->users, options);
  EXPECT_EQ(s.errors, 1u);
  ASSERT_EQ(s.first_errors.size(), 1u);
  EXPECT_EQ(s.first_errors[0].rfind(victim + ": ", 0), 0u) << s.first_errors[0];
  EXPECT_EQ(s.records, data->prepared.users.size());
  EXPECT_EQ(server->cmd({"DBSIZE"}).integer, static_cast<long long>(data->prepared.users.size()));
}

TEST_F(LiveLoader, ServedPopularityAndVectorsAgreeWithOfflineReferences) {
  load_all();
  const PopularityRanker pop(data->prepared.items);
  const VectorRanker vec(data->items);
  std::unordered_map<std::string, Eigen::Index> user_row;
  for (size_t r = 0; r < data->users.ids.size(); ++r) user_row[data->users.ids[r]] = static_cast<Eigen::Index>(r);
  size_t users = 0, vector_agree = 0;
  for (size_t k = 0; k < data->prepared.users.size(); k += 7) {
    const UserRecord& u = data->prepared.users[k];
    const std::unordered_set<std::string> seen(u.seen.begin(), u.seen.end());
    const auto popular = server->cmd({"RECO.RECOMMEND", "movies", "user:" + u.id, "10", "BUDGET", "VECTOR", "0",
                                      "BUDGET", "TERM", "0", "BUDGET", "SESSION", "0"});
    EXPECT_EQ(popular.strings(), pop.top(10, seen)) << "user " << u.id;
    const auto by_vector = server->cmd({"RECO.RECOMMEND", "movies", "user:" + u.id, "5", "BUDGET", "TERM", "0",
                                        "BUDGET", "POPULAR", "0", "BUDGET", "SESSION", "0"});
    const auto row = user_row.find(u.id);
    ASSERT_NE(row, user_row.end());
    if (by_vector.strings() == vec.top(data->users.vectors.row(row->second).data(), 5, seen)) ++vector_agree;
    const auto served = server->cmd({"RECO.RECOMMEND", "movies", "user:" + u.id, "20"}).strings();
    EXPECT_EQ(served.size(), 20u);
    for (const auto& id : served) EXPECT_FALSE(seen.count(id)) << "user " << u.id << " was served seen item " << id;
    ++users;
  }
  // Exact index, same float math: only exact score ties may reorder.
  EXPECT_GE(vector_agree, users * 9 / 10);
}

}  // namespace
