// The ACL recipes of README "Operating reco" (serving user, loader user, admin), each as the
// exact ACL SETUSER line the README gives, and the catalog guard they rely on: a catalog
// `<name>` is checked like the key `reco:catalog:<name>` (read permission for reads, write
// permission for writes), refusals change nothing and are written to ACL LOG, and
// RECO.CATALOG.LIST shows only readable catalogs. Also through MULTI, and what scripts and
// Functions may do under each recipe.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "reco_data.hpp"
#include "redis_server.hpp"

namespace reco::test {
namespace {

// README "Operating reco", "ACL recipes": keep the two in step.
const Args kServing{"ACL", "SETUSER", "serve", "on", ">pw", "resetkeys", "~user:*", "%R~reco:catalog:*",
                    "+@all", "-@dangerous", "-@admin", "-@scripting"};
const Args kLoader{"ACL", "SETUSER", "loader", "on", ">pw", "resetkeys", "~user:*", "~reco:catalog:*",
                   "+@all", "-@dangerous", "-@admin", "-@scripting"};
const Args kAdmin{"ACL", "SETUSER", "admin", "on", ">pw", "~*", "&*", "+@all"};

bool noperm(const Reply& r) { return r.is_error() && r.str.rfind("NOPERM", 0) == 0; }

class AclRecipes : public ::testing::Test {
 protected:
  void SetUp() override {
    srv.start(RECO_MODULE_PATH);
    Client c = srv.client();
    load(c, {{"RECO.CATALOG.CREATE", "movies", "DIM", "2", "METRIC", "IP"},
             {"RECO.ITEM.SET", "movies", "a", "VALUES", "2", "1", "0", "TERMS", "1", "drama"},
             {"RECO.ITEM.SET", "movies", "b", "VALUES", "2", "0", "1"},
             {"RECO.CATALOG.CREATE", "private", "DIM", "2"},
             {"RECO.ITEM.SET", "private", "x", "VALUES", "2", "1", "1"},
             {"RECO.USER.SET", "user:1", "VALUES", "2", "1", "0"}});
    for (const Args* recipe : {&kServing, &kLoader, &kAdmin}) ASSERT_EQ(srv.cmd(*recipe).str, "OK");
  }
  Client as(const std::string& user) {
    Client c = srv.client();
    Reply r = c.cmd({"AUTH", user, "pw"});
    EXPECT_EQ(r.str, "OK") << r.str;
    return c;
  }
  std::string state() {
    return srv.cmd({"RECO.CATALOG.INFO", "movies"}).to_string() + srv.cmd({"RECO.CATALOG.INFO", "private"}).to_string() +
           srv.cmd({"RECO.CATALOG.CONFIG", "GET", "movies"}).to_string() + srv.cmd({"RECO.CATALOG.LIST"}).to_string();
  }
  RedisServer srv;
};

const std::vector<Args> kCatalogWrites{
    {"RECO.CATALOG.CREATE", "new", "DIM", "2"},
    {"RECO.CATALOG.DROP", "movies"},
    {"RECO.CATALOG.CONFIG", "SET", "movies", "WEIGHT.TERM", "1"},
    {"RECO.ITEM.SET", "movies", "z", "VALUES", "2", "1", "1"},
    {"RECO.ITEM.DEL", "movies", "a"},
    {"RECO.MODEL.PUT", "movies", "v1", "bytes"},
    {"RECO.MODEL.ACTIVATE", "movies", "v1"},
    {"RECO.MODEL.ROLLBACK", "movies"},
    {"RECO.MODEL.DEL", "movies", "v1"},
    {"RECO.MODEL.SPLIT", "movies", "OFF"},
};

TEST_F(AclRecipes, ServingUserQueriesAndWritesUserKeysOnly) {
  const std::string before = state();
  Client s = as("serve");
  EXPECT_TRUE(s.cmd({"RECO.RECOMMEND", "movies", "user:1", "2"}).is_array());
  EXPECT_TRUE(s.cmd({"RECO.SIMILAR", "movies", "a", "1"}).is_array());
  EXPECT_TRUE(s.cmd({"RECO.KNN", "movies", "1", "VALUES", "2", "1", "0"}).is_array());
  EXPECT_TRUE(s.cmd({"RECO.ITEM.GET", "movies", "a"}).is_array());
  EXPECT_TRUE(s.cmd({"RECO.CATALOG.INFO", "movies"}).is_array());
  EXPECT_TRUE(s.cmd({"RECO.CATALOG.CONFIG", "GET", "movies"}).is_array());
  EXPECT_TRUE(s.cmd({"RECO.MODEL.LIST", "movies"}).is_array());
  EXPECT_EQ(s.cmd({"RECO.SCORE", "movies", "user:1", "1", "a"}).str,
            "ERR catalog 'movies' has no active model (RECO.MODEL.ACTIVATE)");  // reaches the command
  EXPECT_EQ(s.cmd({"RECO.USER.SEEN.ADD", "user:1", "a"}).integer, 1);
  EXPECT_EQ(s.cmd({"RECO.USER.SET", "user:2", "VALUES", "2", "0", "1"}).str, "OK");
  for (const Args& cmd : kCatalogWrites) {
    Reply r = s.cmd(cmd);
    EXPECT_TRUE(noperm(r)) << join(cmd) << " -> " << r.to_string();
  }
  // Keys outside the pattern, scripts and Functions stay out of reach.
  EXPECT_TRUE(noperm(s.cmd({"RECO.RECOMMEND", "movies", "session:1", "2"})));
  EXPECT_TRUE(noperm(s.cmd({"EVAL", "return redis.call('RECO.CATALOG.DROP', 'movies')", "0"})));
  EXPECT_TRUE(noperm(s.cmd({"FCALL", "f", "0"})));
  EXPECT_EQ(srv.cmd({"RECO.USER.SEEN.HAS", "user:1", "a"}).integer, 1);
  EXPECT_EQ(state(), before);
}

TEST_F(AclRecipes, RefusalNamesTheGuardKeyAndIsLogged) {
  Client s = as("serve");
  ASSERT_EQ(srv.cmd({"ACL", "LOG", "RESET"}).str, "OK");
  Reply r = s.cmd({"RECO.ITEM.SET", "movies", "z", "VALUES", "2", "1", "1"});
  EXPECT_EQ(r.str, "NOPERM this user has no permissions to write the catalog (guarded as the key 'reco:catalog:movies')");
  Reply log = srv.cmd({"ACL", "LOG"});
  ASSERT_TRUE(log.is_array());
  ASSERT_GE(log.elements.size(), 1u);
  auto entry = log.elements[0].as_map();
  EXPECT_EQ(entry["reason"].str, "key");
  EXPECT_EQ(entry["object"].str, "reco:catalog:movies");
  EXPECT_EQ(entry["username"].str, "serve");
}

TEST_F(AclRecipes, KeyPatternsChooseWhichCatalogs) {
  ASSERT_EQ(srv.cmd({"ACL", "SETUSER", "one", "on", ">pw", "~user:*", "%R~reco:catalog:movies", "+@all"}).str, "OK");
  Client o = as("one");
  EXPECT_TRUE(o.cmd({"RECO.RECOMMEND", "movies", "user:1", "2"}).is_array());
  EXPECT_TRUE(noperm(o.cmd({"RECO.RECOMMEND", "private", "user:1", "2"})));
  EXPECT_TRUE(noperm(o.cmd({"RECO.CATALOG.INFO", "private"})));
  EXPECT_TRUE(noperm(o.cmd({"RECO.ITEM.GET", "private", "x"})));
  // A missing catalog is refused before its absence is told, so names do not leak.
  EXPECT_TRUE(noperm(o.cmd({"RECO.CATALOG.INFO", "nope"})));
  EXPECT_EQ(o.cmd({"RECO.CATALOG.LIST"}).strings(), (std::vector<std::string>{"movies"}));
  // Write permission alone: writes, but no reads.
  ASSERT_EQ(srv.cmd({"ACL", "SETUSER", "wo", "on", ">pw", "%W~reco:catalog:*", "+@all"}).str, "OK");
  Client w = as("wo");
  EXPECT_EQ(w.cmd({"RECO.ITEM.SET", "movies", "c", "VALUES", "2", "1", "1"}).integer, 1);
  EXPECT_TRUE(noperm(w.cmd({"RECO.ITEM.GET", "movies", "c"})));
  EXPECT_TRUE(w.cmd({"RECO.CATALOG.LIST"}).strings().empty());
}

// Every command whose COMMAND DOCS name a `catalog` argument is guarded: a user with every
// command but no catalog key pattern is refused, whatever else the arguments say. So a new
// command that names a catalog cannot be registered without its ACL check
// (module/glue/catalog_acl.cpp lists the positions).
TEST_F(AclRecipes, EveryCommandNamingACatalogIsGuarded) {
  ASSERT_EQ(srv.cmd({"ACL", "SETUSER", "nocat", "on", ">pw", "~user:*", "+@all"}).str, "OK");
  Client n = as("nocat");
  std::size_t guarded = 0;
  for (const std::string& name : srv.cmd({"COMMAND", "LIST", "FILTERBY", "MODULE", "reco"}).strings()) {
    Reply docs = srv.cmd({"COMMAND", "DOCS", name});
    ASSERT_EQ(docs.elements.size(), 2u) << name;
    auto doc = docs.elements[1].as_map();
    if (!doc.count("arguments")) continue;  // a container, or no arguments
    const auto& args = doc["arguments"].elements;
    std::size_t at = args.size();
    for (std::size_t i = 0; i < args.size(); ++i)
      if (args[i].as_map()["name"].str == "catalog") at = i;
    if (at == args.size()) continue;
    // The command's own words ("reco.catalog.config|get" is two), then arguments up to its
    // arity, the catalog in its place.
    Args argv;
    const auto bar = name.find('|');
    argv.push_back(name.substr(0, bar));
    if (bar != std::string::npos) argv.push_back(name.substr(bar + 1));
    const long long arity = srv.cmd({"COMMAND", "INFO", name}).elements.at(0).elements.at(1).integer;
    const std::size_t pos = argv.size() + at;
    const std::size_t count = std::max<std::size_t>(static_cast<std::size_t>(arity < 0 ? -arity : arity), pos + 1);
    while (argv.size() < count) argv.push_back("x");
    argv[pos] = "movies";
    Reply r = n.cmd(argv);
    EXPECT_TRUE(noperm(r)) << join(argv) << " -> " << r.to_string();
    ++guarded;
  }
  EXPECT_GE(guarded, 19u);
}

TEST_F(AclRecipes, InsideMultiTheRefusedCommandFailsAlone) {
  Client s = as("serve");
  ASSERT_EQ(s.cmd({"MULTI"}).str, "OK");
  s.cmd({"RECO.RECOMMEND", "movies", "user:1", "2"});
  s.cmd({"RECO.ITEM.SET", "movies", "z", "VALUES", "2", "1", "1"});
  s.cmd({"RECO.USER.SEEN.ADD", "user:1", "b"});
  Reply exec = s.cmd({"EXEC"});
  ASSERT_TRUE(exec.is_array()) << exec.to_string();
  ASSERT_EQ(exec.elements.size(), 3u);
  EXPECT_TRUE(exec.elements[0].is_array());
  EXPECT_TRUE(noperm(exec.elements[1])) << exec.elements[1].to_string();
  EXPECT_EQ(exec.elements[2].integer, 1);
  EXPECT_TRUE(srv.cmd({"RECO.ITEM.GET", "movies", "z"}).is_nil());  // never written
}

TEST_F(AclRecipes, LoaderUserLoadsCatalogsAndUsers) {
  Client l = as("loader");
  EXPECT_EQ(l.cmd({"RECO.CATALOG.CREATE", "new", "DIM", "2"}).str, "OK");
  EXPECT_EQ(l.cmd({"RECO.ITEM.SET", "new", "a", "VALUES", "2", "1", "0"}).integer, 1);
  EXPECT_EQ(l.cmd({"RECO.CATALOG.CONFIG", "SET", "new", "WEIGHT.TERM", "0.5"}).str, "OK");
  Reply put = l.cmd({"RECO.MODEL.PUT", "new", "v1", "bytes"});
  EXPECT_TRUE(put.is_error() && !noperm(put)) << put.str;  // reaches the model parser
  EXPECT_EQ(l.cmd({"RECO.USER.SET", "user:9", "VALUES", "2", "1", "0"}).str, "OK");
  EXPECT_TRUE(l.cmd({"RECO.RECOMMEND", "new", "user:9", "1"}).is_array());
  EXPECT_TRUE(noperm(l.cmd({"RECO.USER.SET", "session:9", "VALUES", "2", "1", "0"})));
  EXPECT_TRUE(noperm(l.cmd({"EVAL", "return 1", "0"})));
  EXPECT_EQ(l.cmd({"RECO.CATALOG.DROP", "new"}).str, "OK");
}

TEST_F(AclRecipes, AdminRunsEverythingScriptsAndFunctionsIncluded) {
  Client a = as("admin");
  EXPECT_EQ(a.cmd({"RECO.CATALOG.CONFIG", "SET", "movies", "WEIGHT.TERM", "0.5"}).str, "OK");
  Reply lua = a.cmd({"EVAL", "return redis.call('RECO.RECOMMEND', 'movies', KEYS[1], '2')", "1", "user:1"});
  EXPECT_TRUE(lua.is_array()) << lua.to_string();
  Reply lib = a.cmd({"FUNCTION", "LOAD",
                     "#!lua name=acltest\n"
                     "redis.register_function('f', function(keys, args) return redis.call('RECO.CATALOG.LIST') end)"});
  EXPECT_EQ(lib.str, "acltest") << lib.to_string();
  EXPECT_EQ(a.cmd({"FCALL", "f", "0"}).strings().size(), 2u);
  EXPECT_EQ(a.cmd({"RECO.CATALOG.DROP", "private"}).str, "OK");
  // Read by the serving user through its own call: Functions are @scripting, which it lacks.
  EXPECT_TRUE(noperm(as("serve").cmd({"FCALL", "f", "0"})));
}

}  // namespace
}  // namespace reco::test
