// What the live benchmarks share: a raw hiredis connection, pipelined loading, CPU pinning.
//
// The timed path uses hiredis as an application would: the test harness's Client deep-copies
// every reply, which would be measured too. Header-only and bench-only.
#pragma once

#include <hiredis/hiredis.h>
#include <sched.h>

#include <algorithm>
#include <cstddef>
#include <cstdlib>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace reco_bench {

struct ReplyDeleter {
  void operator()(redisReply* r) const {
    if (r) freeReplyObject(r);
  }
};
using ReplyPtr = std::unique_ptr<redisReply, ReplyDeleter>;

// A thin owner of a redisContext with argv-style commands.
class Conn {
 public:
  explicit Conn(int port) {
    ctx_ = redisConnect("127.0.0.1", port);
    if (!ctx_ || ctx_->err) throw std::runtime_error("cannot connect: " + std::string(ctx_ ? ctx_->errstr : "oom"));
  }
  ~Conn() {
    if (ctx_) redisFree(ctx_);
  }
  Conn(const Conn&) = delete;
  Conn& operator=(const Conn&) = delete;

  void append(const std::vector<std::string>& args) {
    argv_.clear();
    len_.clear();
    for (const auto& a : args) {
      argv_.push_back(a.data());
      len_.push_back(a.size());
    }
    if (redisAppendCommandArgv(ctx_, int(args.size()), argv_.data(), len_.data()) != REDIS_OK)
      throw std::runtime_error(std::string("append: ") + ctx_->errstr);
  }
  ReplyPtr get() {
    void* r = nullptr;
    if (redisGetReply(ctx_, &r) != REDIS_OK || !r) throw std::runtime_error(std::string("read: ") + ctx_->errstr);
    return ReplyPtr(static_cast<redisReply*>(r));
  }
  ReplyPtr cmd(const std::vector<std::string>& args) {
    append(args);
    return get();
  }

 private:
  redisContext* ctx_ = nullptr;
  std::vector<const char*> argv_;
  std::vector<std::size_t> len_;
};

inline std::string describe(const redisReply* r) {
  switch (r->type) {
    case REDIS_REPLY_ERROR: return "error: " + std::string(r->str, r->len);
    case REDIS_REPLY_STATUS: return "+" + std::string(r->str, r->len);
    case REDIS_REPLY_STRING: return "\"" + std::string(r->str, r->len) + "\"";
    case REDIS_REPLY_INTEGER: return std::to_string(r->integer);
    case REDIS_REPLY_ARRAY: return "array of " + std::to_string(r->elements);
    default: return "nil";
  }
}

// Pipelined loading: commands go out in batches; every reply is read, and each error reply
// goes to `on_error` (the bench's own failure count).
class Loader {
 public:
  Loader(Conn& c, std::function<void(const std::string&)> on_error)
      : c_(c), on_error_(std::move(on_error)) {}
  void send(const std::vector<std::string>& args) {
    c_.append(args);
    ++inflight_;
    for (const auto& a : args) bytes_ += a.size();
    if (inflight_ >= 512 || bytes_ >= (8u << 20)) drain();
  }
  void drain() {
    for (; inflight_ > 0; --inflight_) {
      ReplyPtr r = c_.get();
      if (r->type == REDIS_REPLY_ERROR) on_error_("load: " + describe(r.get()));
    }
    bytes_ = 0;
  }

 private:
  Conn& c_;
  std::function<void(const std::string&)> on_error_;
  std::size_t inflight_ = 0, bytes_ = 0;
};

inline void pin_self(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  if (sched_setaffinity(0, sizeof set, &set) != 0) throw std::runtime_error("sched_setaffinity failed");
}

// The p-quantile (0..1) of `v` by rank; 0 for no samples.
inline double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, std::size_t(p * double(v.size())))];
}

// An integer field of INFO <section>; -1 if the server does not report it.
inline long long info_int(Conn& c, const std::string& section, const std::string& field) {
  ReplyPtr r = c.cmd({"INFO", section});
  const std::string s(r->str, r->len);
  const auto at = s.find(field + ":");
  return at == std::string::npos ? -1 : std::atoll(s.c_str() + at + field.size() + 1);
}

// commandstats' usec_per_call of `cmd` (lower case): the main thread's time per call.
inline double usec_per_call(Conn& c, const std::string& cmd) {
  ReplyPtr r = c.cmd({"INFO", "commandstats"});
  const std::string s(r->str, r->len);
  const auto at = s.find("cmdstat_" + cmd + ":");
  if (at == std::string::npos) return 0;
  const auto u = s.find("usec_per_call=", at);
  return u == std::string::npos ? 0 : std::atof(s.c_str() + u + 14);
}

}  // namespace reco_bench
