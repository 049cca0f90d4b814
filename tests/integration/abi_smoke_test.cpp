// Proves the project's module-API declarations (module/glue/redismodule.h) against the
// real redis-server: the smoke module registers a data type and commands through them,
// and each test checks that the server called the callback slot, used the constant, or
// returned the value the declarations promise. A wrong offset or constant shows up here
// as a wrong counter, a wrong reply or a dead server, never as a compile error.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "redis_server.hpp"

using reco::test::Reply;
using reco::test::RedisServer;

namespace {

constexpr const char* kModule = RECO_MODULE_PATH;

std::map<std::string, Reply> stats(RedisServer& s) { return s.cmd({"SMOKE.STATS"}).as_map(); }
long long stat(RedisServer& s, const std::string& name) { return stats(s).at(name).as_integer(); }
std::map<std::string, Reply> env(RedisServer& s) { return s.cmd({"SMOKE.ENV"}).as_map(); }

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void wait_for_aof_rewrite(RedisServer& s) {
  reco::test::wait_until(
      [&] {
        auto p = s.info("persistence");
        return p["aof_rewrite_in_progress"] == "0" && p["aof_rewrite_scheduled"] == "0";
      },
      std::chrono::seconds(20), "BGREWRITEAOF to finish");
  ASSERT_EQ(s.info("persistence")["aof_last_bgrewrite_status"], "ok");
}

// The concatenated base AOF files (7.0 keeps them under appendonlydir/).
std::string base_aof_text(const RedisServer& s) {
  std::string text;
  for (const auto& entry : std::filesystem::directory_iterator(s.dir() + "/appendonlydir")) {
    std::string name = entry.path().filename().string();
    if (name.find(".base.") != std::string::npos) text += read_text(entry.path().string());
  }
  return text;
}

const std::string kBinary("bin\0ary\r\npayload", 16);

bool flag(const std::map<std::string, Reply>& e, const std::string& name) { return e.at("flag_" + name).integer == 1; }

// ---- loading -------------------------------------------------------------------------------

TEST(AbiSmokeLoad, LoadmoduleRegistersTypeAndCommands) {
  RedisServer s;
  s.start(kModule);
  EXPECT_NE(read_text(s.log_path()).find("smoke: loaded, type methods version 4, v1/v3 callbacks"),
            std::string::npos);

  auto modules = s.cmd({"MODULE", "LIST"});
  ASSERT_TRUE(modules.is_array()) << modules.to_string();
  ASSERT_EQ(modules.elements.size(), 1u);
  auto m = modules.elements[0].as_map();
  EXPECT_EQ(m.at("name").str, "smoke");
  EXPECT_EQ(m.at("ver").integer, 1);

  EXPECT_EQ(s.cmd({"SMOKE.SET", "k", kBinary}).str, "OK");
  EXPECT_EQ(s.cmd({"TYPE", "k"}).str, "smoke-abi");
  EXPECT_EQ(s.cmd({"SMOKE.GET", "k"}).str, kBinary);
  EXPECT_EQ(s.cmd({"SMOKE.SET", "k", "second"}).str, "OK");  // ModuleTypeReplaceValue path
  EXPECT_EQ(s.cmd({"SMOKE.GET", "k"}).str, "second");
  EXPECT_TRUE(s.cmd({"SMOKE.GET", "missing"}).is_nil());
  EXPECT_EQ(stat(s, "read_open_null"), 1);
  EXPECT_EQ(s.cmd({"EXISTS", "k"}).integer, 1);

  s.cmd({"SET", "plain", "x"});
  auto wrong = s.cmd({"SMOKE.GET", "plain"});
  ASSERT_TRUE(wrong.is_error());
  EXPECT_EQ(wrong.str.rfind("WRONGTYPE", 0), 0u) << wrong.str;
  EXPECT_TRUE(s.cmd({"SMOKE.SET", "plain", "y"}).is_error());
  EXPECT_EQ(s.cmd({"GET", "plain"}).str, "x");  // the refused write changed nothing

  auto arity = s.cmd({"SMOKE.GET"});
  ASSERT_TRUE(arity.is_error());
  EXPECT_NE(arity.str.find("wrong number of arguments"), std::string::npos) << arity.str;

  EXPECT_EQ(s.cmd({"SMOKE.DEL", "k"}).integer, 1);
  EXPECT_EQ(s.cmd({"SMOKE.DEL", "k"}).integer, 0);
  EXPECT_EQ(s.cmd({"SMOKE.CONTAINER", "ECHO", "hi"}).str, "hi");
}

TEST(AbiSmokeLoad, ModuleLoadIsRefusedByDefault) {
  RedisServer s;
  s.start();
  auto r = s.cmd({"MODULE", "LOAD", kModule});
  ASSERT_TRUE(r.is_error());
  EXPECT_NE(r.str.find("enable-module-command"), std::string::npos) << r.str;
  EXPECT_TRUE(s.cmd({"SMOKE.AUX.GET"}).is_error());
}

TEST(AbiSmokeLoad, ModuleLoadWithEnableModuleCommand) {
  RedisServer s;
  s.start({}, {{"enable-module-command", "yes"}});

  // Bad input is refused and leaves the server serving, without the module.
  EXPECT_TRUE(s.cmd({"MODULE", "LOAD", kModule, "no-such-option"}).is_error());
  // Version 0 is the one value 7.0 rejects: CreateDataType fails and so does the load.
  EXPECT_TRUE(s.cmd({"MODULE", "LOAD", kModule, "methods-version", "0"}).is_error());
  EXPECT_EQ(s.cmd({"PING"}).str, "PONG");
  EXPECT_TRUE(s.cmd({"SMOKE.GET", "k"}).is_error());
  EXPECT_NE(read_text(s.log_path()).find("CreateDataType refused methods version 0"), std::string::npos);

  ASSERT_EQ(s.cmd({"MODULE", "LOAD", kModule}).str, "OK");
  EXPECT_EQ(s.cmd({"SMOKE.SET", "k", "v"}).str, "OK");
  EXPECT_EQ(s.cmd({"SMOKE.GET", "k"}).str, "v");
  // A module that exports a data type cannot be unloaded; the server says so and keeps it.
  EXPECT_TRUE(s.cmd({"MODULE", "UNLOAD", "smoke"}).is_error());
  EXPECT_EQ(s.cmd({"SMOKE.GET", "k"}).str, "v");
  // Loading a second copy under the same name is refused.
  EXPECT_TRUE(s.cmd({"MODULE", "LOAD", kModule}).is_error());
}

// ---- server facts the glue relies on -------------------------------------------------------

TEST(AbiSmoke, TypeMethodVersionContextFlagsAndServerVersion) {
  RedisServer s;
  s.start(kModule);
  auto e = env(s);
  EXPECT_EQ(e.at("type_method_version").integer, 4);
  // 7.0 defines context flags 0..23 (ASYNC_LOADING is the last).
  EXPECT_EQ(e.at("context_flags_all").integer, (1 << 24) - 1);
  EXPECT_TRUE(flag(e, "master"));
  EXPECT_FALSE(flag(e, "slave"));
  EXPECT_FALSE(flag(e, "multi"));
  EXPECT_FALSE(flag(e, "aof"));
  EXPECT_FALSE(flag(e, "readonly"));

  std::string version = s.info("server").at("redis_version");
  int major = 0, minor = 0, patch = 0;
  ASSERT_EQ(std::sscanf(version.c_str(), "%d.%d.%d", &major, &minor, &patch), 3);
  EXPECT_EQ(e.at("server_version").integer, (major << 16) | (minor << 8) | patch);

  EXPECT_EQ(e.at("selected_db").integer, 0);
  EXPECT_EQ(e.at("client_id").integer, s.cmd({"CLIENT", "ID"}).integer);
  auto time = s.cmd({"TIME"}).strings();
  long long server_ms = std::stoll(time[0]) * 1000 + std::stoll(time[1]) / 1000;
  EXPECT_NEAR(static_cast<double>(e.at("milliseconds").integer), static_cast<double>(server_ms), 5000.0);
  EXPECT_GT(e.at("monotonic_us").integer, 0);

  s.cmd({"SELECT", "3"});
  EXPECT_EQ(env(s).at("selected_db").integer, 3);

  s.cmd({"MULTI"});
  s.cmd({"SMOKE.ENV"});
  auto exec = s.cmd({"EXEC"});
  ASSERT_TRUE(exec.is_array() && exec.elements.size() == 1) << exec.to_string();
  EXPECT_TRUE(flag(exec.elements[0].as_map(), "multi"));

  auto lua = s.cmd({"EVAL", "return redis.call('SMOKE.ENV')", "0"});
  ASSERT_TRUE(lua.is_array()) << lua.to_string();
  EXPECT_TRUE(flag(lua.as_map(), "lua"));
  EXPECT_FALSE(flag(lua.as_map(), "multi"));
}

TEST(AbiSmoke, ReplyShapesAndStringConversions) {
  RedisServer s;
  s.start(kModule);
  // [StringToLongLong, StringToDouble via ReplyWithDouble, ReplyWithBool, StringToULongLong
  // via CreateStringPrintf, CreateStringFromLongLong|CreateStringFromDouble]
  EXPECT_EQ(s.cmd({"SMOKE.NUM", "42"}).strings(), (std::vector<std::string>{"42", "42", "1", "u42", "42|42"}));
  auto frac = s.cmd({"SMOKE.NUM", "2.5"});
  ASSERT_EQ(frac.elements.size(), 5u) << frac.to_string();
  EXPECT_TRUE(frac.elements[0].is_nil());
  EXPECT_DOUBLE_EQ(frac.elements[1].as_double(), 2.5);
  EXPECT_EQ(frac.elements[2].integer, 0);
  EXPECT_EQ(frac.elements[3].str, "");
  EXPECT_EQ(frac.elements[4].str, "0|2.5");
  auto bad = s.cmd({"SMOKE.NUM", "abc"});
  ASSERT_EQ(bad.elements.size(), 5u);
  EXPECT_TRUE(bad.elements[0].is_nil());
  EXPECT_TRUE(bad.elements[1].is_nil());
  auto neg = s.cmd({"SMOKE.NUM", "-7"});
  EXPECT_EQ(neg.elements[0].integer, -7);
  EXPECT_EQ(neg.elements[4].str, "-7|-7");

  auto empty_array = s.cmd({"SMOKE.EMPTY", "array"});
  EXPECT_TRUE(empty_array.is_array() && empty_array.elements.empty()) << empty_array.to_string();
  EXPECT_TRUE(s.cmd({"SMOKE.EMPTY", "nullarray"}).is_nil());
  auto empty_string = s.cmd({"SMOKE.EMPTY", "string"});
  EXPECT_TRUE(empty_string.type == Reply::Type::String && empty_string.str.empty());
  EXPECT_TRUE(s.cmd({"SMOKE.EMPTY", "what"}).is_error());

  // [usable size, malloc size, calloc zeroed, realloc kept data && strdup, tryalloc, string refs]
  auto alloc = s.cmd({"SMOKE.ALLOC", "1000"});
  ASSERT_EQ(alloc.elements.size(), 6u) << alloc.to_string();
  EXPECT_GE(alloc.elements[0].integer, 2000);
  EXPECT_GE(alloc.elements[1].integer, 2000);
  for (int i = 2; i < 6; ++i) EXPECT_EQ(alloc.elements[i].integer, 1) << "element " << i;
  EXPECT_TRUE(s.cmd({"SMOKE.ALLOC", "0"}).is_error());
}

TEST(AbiSmoke, CallReplyTypes) {
  RedisServer s;
  s.start(kModule);
  auto call = [&](std::vector<std::string> args) {
    args.insert(args.begin(), "SMOKE.CALL");
    return s.cmd(args);
  };
  EXPECT_EQ(call({"PING"}).strings(), (std::vector<std::string>{"string", "PONG"}));
  EXPECT_EQ(call({"SET", "n", "5"}).strings(), (std::vector<std::string>{"string", "OK"}));
  EXPECT_EQ(call({"INCR", "n"}).strings(), (std::vector<std::string>{"integer", "6"}));
  auto null = call({"GET", "missing"});
  ASSERT_TRUE(null.is_array()) << null.to_string();
  EXPECT_EQ(null.elements[0].str, "null");
  EXPECT_TRUE(null.elements[1].is_nil());
  s.cmd({"RPUSH", "l", "a", "b"});
  EXPECT_EQ(call({"LRANGE", "l", "0", "-1"}).strings(), (std::vector<std::string>{"array", "2:a"}));
  s.cmd({"SET", "t", "abc"});
  auto err = call({"INCR", "t"});
  ASSERT_TRUE(err.is_array()) << err.to_string();
  EXPECT_EQ(err.elements[0].str, "error");
  EXPECT_NE(err.elements[1].str.find("not an integer"), std::string::npos) << err.to_string();
  EXPECT_TRUE(call({"NO.SUCH.COMMAND"}).is_error());
}

TEST(AbiSmoke, GetKeysApiDeclaresEveryOtherArgument) {
  RedisServer s;
  s.start(kModule);
  EXPECT_EQ(s.cmd({"COMMAND", "GETKEYS", "SMOKE.PAIR", "a", "1", "b", "2"}).strings(),
            (std::vector<std::string>{"a", "b"}));
  s.cmd({"SMOKE.SET", "b", "x"});
  EXPECT_EQ(s.cmd({"SMOKE.PAIR", "a", "1", "b", "2"}).integer, 1);
  EXPECT_TRUE(s.cmd({"SMOKE.PAIR", "a", "1", "b"}).is_error());
}

TEST(AbiSmoke, InfoFieldsOfEveryKind) {
  RedisServer s;
  s.start(kModule);
  s.cmd({"SMOKE.AUX.SET", "cat"});
  auto raw = s.cmd({"INFO", "smoke"});
  ASSERT_TRUE(raw.is_string()) << raw.to_string();
  EXPECT_NE(raw.str.find("# smoke_stats"), std::string::npos) << raw.str;
  auto info = s.info("smoke");
  EXPECT_EQ(info["smoke_aux_loads"], "0") << raw.str;
  EXPECT_EQ(info["smoke_big"], "18446744073709551615") << raw.str;
  EXPECT_DOUBLE_EQ(std::stod(info["smoke_ratio"]), 0.5) << raw.str;
  EXPECT_EQ(info["smoke_aux"], "cat") << raw.str;
  EXPECT_EQ(info["smoke_str"], "held") << raw.str;
}

TEST(AbiSmoke, KeyspaceNotificationOfModuleClass) {
  RedisServer s;
  s.start(kModule, {{"notify-keyspace-events", "Ed"}});
  auto sub = s.client();
  auto ack = sub.cmd({"SUBSCRIBE", "__keyevent@0__:smoke.set"});
  ASSERT_TRUE(ack.is_array()) << ack.to_string();
  s.cmd({"SMOKE.SET", "watched", "v"});
  EXPECT_EQ(sub.read_reply().strings(),
            (std::vector<std::string>{"message", "__keyevent@0__:smoke.set", "watched"}));
}

TEST(AbiSmoke, FlushEventsCarryDbNumber) {
  RedisServer s;
  s.start(kModule);
  s.cmd({"SMOKE.SET", "k", "v"});
  s.cmd({"FLUSHALL"});
  auto st = stats(s);
  EXPECT_EQ(st.at("flush_start").integer, 1);
  EXPECT_EQ(st.at("flush_end").integer, 1);
  EXPECT_EQ(st.at("last_flush_db").integer, -1);
  EXPECT_EQ(st.at("free").integer, 1);
  s.cmd({"SELECT", "4"});
  s.cmd({"FLUSHDB"});
  EXPECT_EQ(stat(s, "last_flush_db"), 4);
  EXPECT_EQ(stat(s, "flush_end"), 2);
}

TEST(AbiSmoke, BlockedClientIsAnsweredFromThread) {
  RedisServer s;
  s.start(kModule);
  EXPECT_EQ(s.cmd({"SMOKE.SLEEP", "30"}).integer, 30);
  EXPECT_EQ(s.cmd({"SMOKE.SLEEP", "0"}).integer, 0);
  EXPECT_TRUE(s.cmd({"SMOKE.SLEEP", "soon"}).is_error());
  EXPECT_EQ(s.cmd({"PING"}).str, "PONG");
}

TEST(AbiSmoke, DigestCallback) {
  RedisServer s;
  s.start(kModule);
  s.cmd({"SMOKE.SET", "a", "same"});
  s.cmd({"SMOKE.SET", "b", "same"});
  s.cmd({"SMOKE.SET", "c", "other"});
  auto d = s.cmd({"DEBUG", "DIGEST-VALUE", "a", "b", "c"}).strings();
  ASSERT_EQ(d.size(), 3u);
  EXPECT_EQ(d[0], d[1]);
  EXPECT_NE(d[0], d[2]);
  EXPECT_NE(d[0], std::string(40, '0'));
  EXPECT_EQ(stat(s, "digest"), 3);
}

TEST(AbiSmoke, AofRewriteWithoutPreambleReplaysEmittedCommands) {
  RedisServer s;
  s.start(kModule, {{"appendonly", "yes"}, {"aof-use-rdb-preamble", "no"}});
  EXPECT_TRUE(flag(env(s), "aof"));
  s.cmd({"SMOKE.SET", "k", kBinary});
  s.cmd({"SMOKE.AUX.SET", "catalog"});
  ASSERT_FALSE(s.cmd({"BGREWRITEAOF"}).is_error());
  wait_for_aof_rewrite(s);
  // aof_rewrite ran in the rewrite child: its EmitAOF output is the new base file.
  std::string base = base_aof_text(s);
  EXPECT_NE(base.find("SMOKE.SET"), std::string::npos) << base;
  s.cmd({"SMOKE.SET", "after", "rewrite"});  // lands in the incremental file

  s.restart();
  EXPECT_EQ(s.cmd({"SMOKE.GET", "k"}).str, kBinary);
  EXPECT_EQ(s.cmd({"SMOKE.GET", "after"}).str, "rewrite");
  // A plain (preamble-less) rewrite carries keys only: aux data does not survive it.
  EXPECT_EQ(s.cmd({"SMOKE.AUX.GET"}).str, "");
  EXPECT_EQ(stat(s, "aux_load"), 0);
}

TEST(AbiSmoke, AofWithRdbPreambleKeepsKeysAndAux) {
  RedisServer s;
  s.start(kModule, {{"appendonly", "yes"}, {"aof-use-rdb-preamble", "yes"}});
  s.cmd({"SMOKE.SET", "k", kBinary});
  s.cmd({"SMOKE.AUX.SET", "catalog-1"});
  ASSERT_FALSE(s.cmd({"BGREWRITEAOF"}).is_error());
  wait_for_aof_rewrite(s);
  s.cmd({"SMOKE.SET", "after", "rewrite"});
  s.cmd({"SMOKE.AUX.SET", "catalog-2"});  // replayed from the incremental file via Replicate()

  s.restart();
  EXPECT_EQ(s.cmd({"SMOKE.GET", "k"}).str, kBinary);
  EXPECT_EQ(s.cmd({"SMOKE.GET", "after"}).str, "rewrite");
  EXPECT_EQ(s.cmd({"SMOKE.AUX.GET"}).str, "catalog-2");
  auto st = stats(s);
  EXPECT_EQ(st.at("aux_load").integer, 1);  // from the preamble
  EXPECT_EQ(st.at("rdb_load").integer, 1);
}

// ---- callbacks that exist in two generations (v1/v3 and the 7.0 KeyOptCtx "2" twins) -------

class AbiSmokeCallbacks : public ::testing::TestWithParam<bool> {
 protected:
  bool v4() const { return GetParam(); }
  std::vector<std::string> args() const { return v4() ? std::vector<std::string>{"v4"} : std::vector<std::string>{}; }
  void start(RedisServer& s, const reco::test::ConfigLines& config = {}) { s.start(kModule, config, args()); }
  std::string twin(const std::string& base) const { return v4() ? base + "2" : base; }
  std::string other(const std::string& base) const { return v4() ? base : base + "2"; }
};

TEST_P(AbiSmokeCallbacks, MemoryUsageComesFromTheRegisteredSlot) {
  RedisServer s;
  start(s);
  s.cmd({"SMOKE.SET", "ka", std::string(100, 'x')});
  s.cmd({"SMOKE.SET", "kb", std::string(5100, 'x')});
  long long a = s.cmd({"MEMORY", "USAGE", "ka"}).integer;
  long long b = s.cmd({"MEMORY", "USAGE", "kb"}).integer;
  // Same key length and overhead: only the callback's answer differs.
  EXPECT_EQ(b - a, 5000);
  EXPECT_EQ(stat(s, twin("mem_usage")), 2);
  EXPECT_EQ(stat(s, other("mem_usage")), 0);
  if (v4()) {
    s.cmd({"MEMORY", "USAGE", "kb", "SAMPLES", "7"});
    EXPECT_EQ(stat(s, "last_sample_size"), 7);
  }
}

TEST_P(AbiSmokeCallbacks, CopyMakesAnIndependentValue) {
  RedisServer s;
  start(s);
  s.cmd({"SMOKE.SET", "src", kBinary});
  EXPECT_EQ(s.cmd({"COPY", "src", "dst"}).integer, 1);
  EXPECT_EQ(s.cmd({"SMOKE.GET", "dst"}).str, kBinary);
  auto st = stats(s);
  EXPECT_EQ(st.at(twin("copy")).integer, 1);
  EXPECT_EQ(st.at(other("copy")).integer, 0);
  EXPECT_EQ(st.at("last_copy_from").str, "src");
  EXPECT_EQ(st.at("last_copy_to").str, "dst");
  s.cmd({"SMOKE.SET", "src", "changed"});
  EXPECT_EQ(s.cmd({"SMOKE.GET", "dst"}).str, kBinary);

  EXPECT_EQ(s.cmd({"COPY", "src", "far", "DB", "2"}).integer, 1);
  if (v4()) {
    st = stats(s);
    EXPECT_EQ(st.at("last_copy_from_db").integer, 0);
    EXPECT_EQ(st.at("last_copy_to_db").integer, 2);
  }
  s.cmd({"SELECT", "2"});
  EXPECT_EQ(s.cmd({"SMOKE.GET", "far"}).str, "changed");
}

TEST_P(AbiSmokeCallbacks, DeleteAndUnlinkCallbacks) {
  RedisServer s;
  start(s);
  s.cmd({"SMOKE.SET", "a", "x"});
  EXPECT_EQ(s.cmd({"DEL", "a"}).integer, 1);
  auto st = stats(s);
  EXPECT_EQ(st.at("free").integer, 1);
  EXPECT_EQ(st.at(twin("unlink")).integer, 1);
  EXPECT_EQ(st.at(other("unlink")).integer, 0);
  EXPECT_EQ(st.at("last_unlink_key").str, "a");

  s.cmd({"SMOKE.SET", "b", "y"});
  EXPECT_EQ(s.cmd({"UNLINK", "b"}).integer, 1);
  st = stats(s);
  EXPECT_EQ(st.at(twin("free_effort")).integer, 1);
  EXPECT_EQ(st.at(other("free_effort")).integer, 0);
  EXPECT_EQ(st.at(twin("unlink")).integer, 2);
  EXPECT_EQ(st.at("last_unlink_key").str, "b");
  // A free effort of 1 is below the lazy-free threshold: freed synchronously, right away.
  EXPECT_EQ(st.at("free").integer, 2);
}

TEST_P(AbiSmokeCallbacks, DebugReloadKeepsKeysAndAux) {
  RedisServer s;
  start(s);
  s.cmd({"SMOKE.SET", "k1", kBinary});
  s.cmd({"SMOKE.SET", "k2", "two"});
  s.cmd({"SMOKE.AUX.SET", "catalog-v1"});
  ASSERT_EQ(s.cmd({"DEBUG", "RELOAD"}).str, "OK");
  EXPECT_EQ(s.cmd({"SMOKE.GET", "k1"}).str, kBinary);
  EXPECT_EQ(s.cmd({"SMOKE.GET", "k2"}).str, "two");
  EXPECT_EQ(s.cmd({"SMOKE.AUX.GET"}).str, "catalog-v1");
  auto st = stats(s);
  EXPECT_EQ(st.at("rdb_save").integer, 2);
  EXPECT_EQ(st.at("rdb_load").integer, 2);
  EXPECT_EQ(st.at("aux_save").integer, 1);
  EXPECT_EQ(st.at("aux_load").integer, 1);
  EXPECT_EQ(st.at("last_aux_when").integer, 1);  // REDISMODULE_AUX_BEFORE_RDB
  EXPECT_EQ(st.at("loading_ended").integer, 1);
  EXPECT_EQ(st.at("load_had_ctx").integer, 1);
  EXPECT_EQ(st.at("last_load_db").integer, 0);
  std::string last_key = st.at("last_load_key").str;
  EXPECT_TRUE(last_key == "k1" || last_key == "k2") << last_key;
  // The reloaded values are live, not stale pointers: they copy and free cleanly.
  EXPECT_EQ(s.cmd({"COPY", "k1", "k3"}).integer, 1);
  EXPECT_EQ(s.cmd({"DEL", "k1", "k2", "k3"}).integer, 3);
}

TEST_P(AbiSmokeCallbacks, SaveAndRestartKeepsKeysAndAux) {
  RedisServer s;
  start(s);
  s.cmd({"SMOKE.SET", "k", kBinary});
  s.cmd({"SELECT", "3"});
  s.cmd({"SMOKE.SET", "in3", "three"});
  s.cmd({"SMOKE.AUX.SET", "catalog-v2"});
  ASSERT_EQ(s.cmd({"SAVE"}).str, "OK");
  s.restart();
  EXPECT_EQ(s.cmd({"SMOKE.GET", "k"}).str, kBinary);
  EXPECT_EQ(s.cmd({"SMOKE.AUX.GET"}).str, "catalog-v2");
  s.cmd({"SELECT", "3"});
  EXPECT_EQ(s.cmd({"SMOKE.GET", "in3"}).str, "three");
  auto st = stats(s);  // a fresh process: everything below came from the RDB file
  EXPECT_EQ(st.at("rdb_load").integer, 2);
  EXPECT_EQ(st.at("aux_load").integer, 1);
}

TEST_P(AbiSmokeCallbacks, ReplicaGetsKeysAndAuxByFullSyncAndByStream) {
  RedisServer master, replica;
  start(master);
  start(replica);
  master.cmd({"SMOKE.SET", "k1", kBinary});
  master.cmd({"SMOKE.AUX.SET", "before-sync"});

  replica.replica_of(master);
  reco::test::wait_for_sync(master, replica);
  EXPECT_EQ(replica.cmd({"SMOKE.GET", "k1"}).str, kBinary);
  EXPECT_EQ(replica.cmd({"SMOKE.AUX.GET"}).str, "before-sync");
  auto st = stats(replica);
  EXPECT_EQ(st.at("rdb_load").integer, 1);
  EXPECT_EQ(st.at("aux_load").integer, 1);
  auto e = env(replica);
  EXPECT_TRUE(flag(e, "slave"));
  EXPECT_TRUE(flag(e, "readonly"));
  EXPECT_TRUE(flag(e, "replica_online"));
  EXPECT_FALSE(flag(e, "master"));
  // The "write" command flag is honoured on a read-only replica.
  auto refused = replica.cmd({"SMOKE.SET", "local", "x"});
  ASSERT_TRUE(refused.is_error());
  EXPECT_EQ(refused.str.rfind("READONLY", 0), 0u) << refused.str;

  // After the sync: ReplicateVerbatim (SMOKE.SET, SMOKE.DEL) and Replicate (SMOKE.AUX.SET).
  master.cmd({"SMOKE.SET", "k2", "streamed"});
  master.cmd({"SMOKE.DEL", "k1"});
  master.cmd({"SMOKE.AUX.SET", "after-sync"});
  reco::test::wait_for_sync(master, replica);
  EXPECT_EQ(replica.cmd({"SMOKE.GET", "k2"}).str, "streamed");
  EXPECT_TRUE(replica.cmd({"SMOKE.GET", "k1"}).is_nil());
  EXPECT_EQ(replica.cmd({"SMOKE.AUX.GET"}).str, "after-sync");

  // SLAVE and READONLY are separate bits: a writable replica has only the first.
  ASSERT_EQ(replica.cmd({"CONFIG", "SET", "replica-read-only", "no"}).str, "OK");
  e = env(replica);
  EXPECT_TRUE(flag(e, "slave"));
  EXPECT_FALSE(flag(e, "readonly"));
}

// 7.0 loads a replica's sync payload straight from the socket only if every module type
// declared REDISMODULE_OPTIONS_HANDLE_IO_ERRORS; otherwise it logs why and goes via disk.
TEST(AbiSmoke, DisklessLoadIsAllowedBecauseModuleHandlesIoErrors) {
  RedisServer master, replica;
  master.start(kModule);
  replica.start(kModule, {{"repl-diskless-load", "on-empty-db"}});
  master.cmd({"SMOKE.SET", "k", kBinary});
  master.cmd({"SMOKE.AUX.SET", "diskless"});
  replica.replica_of(master);
  reco::test::wait_for_sync(master, replica);
  EXPECT_EQ(replica.cmd({"SMOKE.GET", "k"}).str, kBinary);
  EXPECT_EQ(replica.cmd({"SMOKE.AUX.GET"}).str, "diskless");
  std::string log = read_text(replica.log_path());
  EXPECT_EQ(log.find("Skipping diskless-load"), std::string::npos) << log;
  EXPECT_NE(log.find("Loading DB in memory"), std::string::npos) << log;
}

INSTANTIATE_TEST_SUITE_P(Generations, AbiSmokeCallbacks, ::testing::Values(false, true),
                         [](const ::testing::TestParamInfo<bool>& info) { return info.param ? "v4" : "v1v3"; });

}  // namespace
