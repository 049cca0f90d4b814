// A small blocking Redis client for the loader, the evaluation and the demo,
// with pipelining: commands are queued and their replies read back in order,
// so that thousands of writes travel in a few round trips. hiredis does the
// socket and the reply parsing; none of its types appear here, so code that
// includes this header does not depend on hiredis headers.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "reco_offline/command_args.hpp"

namespace reco_offline {

// The connection is unusable (refused, closed, protocol error).
class RedisError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct Reply {
  enum class Type { Nil, Status, Error, Integer, String, Array, Double };
  Type type = Type::Nil;
  long long integer = 0;
  std::string str;  // Status, Error, String, Double (as text)
  std::vector<Reply> elements;

  bool is_error() const { return type == Type::Error; }
  // Human-readable rendering, close to redis-cli's.
  std::string to_string() const;
};

class RedisConnection {
 public:
  // Throws RedisError if the server cannot be reached within `timeout_ms`.
  RedisConnection(const std::string& host, int port, int timeout_ms = 5000);
  ~RedisConnection();
  RedisConnection(const RedisConnection&) = delete;
  RedisConnection& operator=(const RedisConnection&) = delete;

  // One command, one reply (waits for all earlier pipelined replies first).
  Reply command(const CommandArgs& args);
  Reply command(std::initializer_list<std::string_view> args);

  // Pipelining: queue a command; read replies in order.
  void append(const CommandArgs& args);
  Reply read_reply();
  size_t pending() const { return pending_; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  size_t pending_ = 0;
  std::string scratch_;
};

// Keeps up to `window` commands in flight; replies go to the callback with the
// tag given at send time, in order.
class Pipeline {
 public:
  using OnReply = std::function<void(uint64_t tag, const Reply& reply)>;
  Pipeline(RedisConnection& conn, size_t window, OnReply on_reply)
      : conn_(conn), window_(window ? window : 1), on_reply_(std::move(on_reply)) {}
  void send(const CommandArgs& args, uint64_t tag);
  void drain();

 private:
  void read_one();
  RedisConnection& conn_;
  size_t window_;
  OnReply on_reply_;
  std::deque<uint64_t> tags_;
};

}  // namespace reco_offline
