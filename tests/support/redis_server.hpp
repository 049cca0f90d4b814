// Integration-test harness: an ephemeral redis-server (own free port, own temp dir,
// optional module) and a small blocking hiredis client whose replies are owned copies.
//
// Why it is shaped so: every test starts its own server, so tests never share state and
// ctest may run them in parallel; replies are deep-copied into plain values so test
// code compares strings and vectors instead of walking hiredis structures; failures
// throw with the server's log tail, because "server did not start" alone explains nothing.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

struct redisContext;

namespace reco::test {

// One reply, detached from hiredis. RESP2 only (the client speaks RESP2, so module
// doubles and maps arrive as bulk strings and flat arrays).
struct Reply {
  enum class Type { String, Status, Error, Integer, Nil, Array };
  Type type = Type::Nil;
  std::string str;         // String, Status, Error
  long long integer = 0;   // Integer
  std::vector<Reply> elements;  // Array

  bool is_error() const { return type == Type::Error; }
  bool is_nil() const { return type == Type::Nil; }
  bool is_array() const { return type == Type::Array; }
  bool is_integer() const { return type == Type::Integer; }
  // Bulk or status string.
  bool is_string() const { return type == Type::String || type == Type::Status; }
  // Elements of an array of strings (integers are printed); throws if not an array.
  std::vector<std::string> strings() const;
  // A flat array of alternating names and values (how a RESP2 client sees a map).
  std::map<std::string, Reply> as_map() const;
  // Integer replies as-is; string replies parsed (RESP2 sends doubles as strings).
  double as_double() const;
  long long as_integer() const;
  std::string to_string() const;
};
void PrintTo(const Reply& reply, std::ostream* os);  // lets GoogleTest print replies

class Client {
 public:
  Client(const std::string& host, int port, std::chrono::milliseconds timeout = std::chrono::seconds(10));
  ~Client();
  Client(Client&& other) noexcept;
  Client& operator=(Client&& other) noexcept;
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Binary safe: each argument is sent with its length. Throws on I/O errors.
  Reply cmd(const std::vector<std::string>& args);
  // Next reply the server pushes without a request (pub/sub messages); throws on timeout.
  Reply read_reply();
  // Sends without waiting for a reply (for SHUTDOWN, whose reply is the closed socket).
  void send(const std::vector<std::string>& args);

 private:
  redisContext* ctx_ = nullptr;
};

// "name value" lines of a redis.conf; later lines override earlier ones.
using ConfigLines = std::vector<std::pair<std::string, std::string>>;

class RedisServer {
 public:
  RedisServer();
  ~RedisServer();
  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;

  // Starts redis-server (env RECO_REDIS_SERVER or /usr/bin/redis-server) in a fresh temp
  // dir on a free port with `loadmodule module_path module_args...` (skipped when the
  // path is empty) and the harness defaults (no RDB snapshots, no AOF, debug command
  // allowed locally, no diskless-sync delay) followed by `config`. Returns once PING
  // answers PONG; throws with the log tail otherwise.
  void start(const std::string& module_path = {}, const ConfigLines& config = {},
             const std::vector<std::string>& module_args = {});
  // SHUTDOWN NOSAVE (falls back to SIGTERM, then SIGKILL) and reaps the process.
  void stop();
  // Same dir, port and configuration: the new process sees what the old one persisted.
  void restart();
  bool running() const { return pid_ > 0; }

  int port() const { return port_; }
  const std::string& dir() const { return dir_; }
  std::string log_path() const;
  std::string log_tail(std::size_t lines = 40) const;

  // A new connection / a command on the server's own lazily opened connection.
  Client client() const;
  Reply cmd(const std::vector<std::string>& args);
  // INFO <section> as name -> value.
  std::map<std::string, std::string> info(const std::string& section);

  void replica_of(const RedisServer& master);

 private:
  void launch();
  void wait_ready(std::chrono::milliseconds timeout);
  std::string config_path() const;

  int pid_ = -1;
  int port_ = 0;
  std::string dir_;
  std::unique_ptr<Client> conn_;
};

// Polls `done` every 20 ms until it returns true; throws `what` after `timeout`.
void wait_until(const std::function<bool()>& done, std::chrono::milliseconds timeout, const std::string& what);

// Until the replica's link is up and it has applied everything the master has sent.
void wait_for_sync(RedisServer& master, RedisServer& replica,
                   std::chrono::milliseconds timeout = std::chrono::seconds(20));

std::string redis_server_path();

}  // namespace reco::test
