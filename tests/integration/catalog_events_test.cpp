// Keyspace notifications for catalog changes (module/glue/catalog_events.hpp): published on
// the guard key reco:catalog:<name> with the command's name, only when the catalog changed,
// for handed-over item writes as for inline ones.
#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "model_file.hpp"
#include "reco_data.hpp"
#include "redis_server.hpp"

namespace reco::test {
namespace {

// (channel, message) of the next keyspace message on a PSUBSCRIBE'd connection.
std::pair<std::string, std::string> next_event(Client& sub) {
  Reply m = sub.read_reply();
  if (m.elements.size() != 4) return {"?", m.to_string()};
  return {m.elements[2].str, m.elements[3].str};
}

TEST(CatalogEvents, ChangesArePublishedOnTheGuardKey) {
  RedisServer srv;
  srv.start(RECO_MODULE_PATH, {{"notify-keyspace-events", "Kd"}});
  Client sub = srv.client();
  ASSERT_TRUE(sub.cmd({"PSUBSCRIBE", "__keyspace@0__:reco:catalog:*"}).is_array());
  const std::string ch = "__keyspace@0__:reco:catalog:c";
  auto expect = [&](const std::string& event) {
    auto [channel, message] = next_event(sub);
    EXPECT_EQ(channel, ch);
    EXPECT_EQ(message, event);
  };
  TestModel v1(1, false);
  // Each change, in order; refused and idempotent commands in between publish nothing, so
  // the next message read is the next change's.
  ASSERT_EQ(srv.cmd({"RECO.CATALOG.CREATE", "c", "DIM", "2", "METRIC", "IP"}).str, "OK");
  expect("reco.catalog.create");
  ASSERT_TRUE(srv.cmd({"RECO.CATALOG.CREATE", "c", "DIM", "2"}).is_error());  // exists: nothing
  ASSERT_EQ(srv.cmd({"RECO.ITEM.SET", "c", "a", "VALUES", "2", "1", "0"}).integer, 1);
  expect("reco.item.set");
  ASSERT_EQ(srv.cmd({"RECO.ITEM.DEL", "c", "missing"}).integer, 0);  // nothing deleted
  ASSERT_EQ(srv.cmd({"RECO.CATALOG.CONFIG", "SET", "c", "WEIGHT.TERM", "0.5"}).str, "OK");  // already so
  ASSERT_EQ(srv.cmd({"RECO.CATALOG.CONFIG", "SET", "c", "WEIGHT.TERM", "0.7"}).str, "OK");
  expect("reco.catalog.config");
  ASSERT_EQ(srv.cmd({"RECO.MODEL.PUT", "c", "v1", v1.bytes()}).str, "OK");
  expect("reco.model.put");
  ASSERT_EQ(srv.cmd({"RECO.MODEL.PUT", "c", "v1", v1.bytes()}).str, "OK");  // the same file again
  ASSERT_EQ(srv.cmd({"RECO.MODEL.ACTIVATE", "c", "v1"}).str, "OK");
  expect("reco.model.activate");
  ASSERT_EQ(srv.cmd({"RECO.ITEM.DEL", "c", "a"}).integer, 1);
  expect("reco.item.del");
  ASSERT_EQ(srv.cmd({"RECO.CATALOG.DROP", "c"}).str, "OK");
  expect("reco.catalog.drop");
  // Reads publish nothing: the next message is the next write's.
  ASSERT_EQ(srv.cmd({"RECO.CATALOG.CREATE", "c", "DIM", "2"}).str, "OK");
  srv.cmd({"RECO.CATALOG.INFO", "c"});
  srv.cmd({"RECO.KNN", "c", "1", "VALUES", "2", "1", "0"});
  expect("reco.catalog.create");
  ASSERT_EQ(srv.cmd({"RECO.ITEM.SET", "c", "b", "VALUES", "2", "0", "1"}).integer, 1);
  expect("reco.item.set");
}

TEST(CatalogEvents, KeyeventChannelNamesTheCatalog) {
  RedisServer srv;
  srv.start(RECO_MODULE_PATH, {{"notify-keyspace-events", "Ed"}});
  Client sub = srv.client();
  ASSERT_TRUE(sub.cmd({"SUBSCRIBE", "__keyevent@0__:reco.catalog.create"}).is_array());
  ASSERT_EQ(srv.cmd({"RECO.CATALOG.CREATE", "movies", "DIM", "2"}).str, "OK");
  Reply m = sub.read_reply();
  ASSERT_EQ(m.elements.size(), 3u) << m.to_string();
  EXPECT_EQ(m.elements[2].str, "reco:catalog:movies");
}

}  // namespace
}  // namespace reco::test
