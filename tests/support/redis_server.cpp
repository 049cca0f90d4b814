// Implementation of the ephemeral redis-server harness and its hiredis client.
// POSIX process control (fork/exec/waitpid) rather than a shell, so the harness owns the
// exact pid it must stop and never touches servers it did not start.
#include "redis_server.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <hiredis/hiredis.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace reco::test {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

timeval to_timeval(std::chrono::milliseconds ms) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(ms.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((ms.count() % 1000) * 1000);
  return tv;
}

Reply copy_reply(const redisReply* r) {
  Reply out;
  switch (r->type) {
    case REDIS_REPLY_STRING:
      out.type = Reply::Type::String;
      out.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_STATUS:
      out.type = Reply::Type::Status;
      out.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_ERROR:
      out.type = Reply::Type::Error;
      out.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_INTEGER:
      out.type = Reply::Type::Integer;
      out.integer = r->integer;
      break;
    case REDIS_REPLY_ARRAY:
      out.type = Reply::Type::Array;
      out.elements.reserve(r->elements);
      for (size_t i = 0; i < r->elements; ++i) out.elements.push_back(copy_reply(r->element[i]));
      break;
    default:
      out.type = Reply::Type::Nil;
      break;
  }
  return out;
}

// Whether `port` can be bound on loopback now.
bool port_free(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  ::close(fd);
  return ok;
}

int pick_any_free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw std::runtime_error("socket(): " + std::string(std::strerror(errno)));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    int err = errno;
    ::close(fd);
    throw std::runtime_error("cannot find a free port: " + std::string(std::strerror(err)));
  }
  ::close(fd);
  return ntohs(addr.sin_port);
}

// A free port that a cluster node can use too: at most 55535, with port + 10000 (the
// cluster bus) free as well.
int pick_free_port() {
  for (int attempt = 0; attempt < 200; ++attempt) {
    const int port = pick_any_free_port();
    if (port <= 55535 && port_free(port + 10000)) return port;
  }
  return pick_any_free_port();
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string tail_lines(const std::string& text, std::size_t lines) {
  std::deque<std::string> kept;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    kept.push_back(line);
    if (kept.size() > lines) kept.pop_front();
  }
  std::string out;
  for (const auto& l : kept) out += l + "\n";
  return out;
}

// Exit status of the child if it has ended, without blocking.
bool child_exited(int pid, int* status) { return ::waitpid(pid, status, WNOHANG) == pid; }

bool wait_child(int pid, std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  int status = 0;
  while (Clock::now() < deadline) {
    if (child_exited(pid, &status)) return true;
    std::this_thread::sleep_for(10ms);
  }
  return false;
}

}  // namespace

// ---- Reply ----------------------------------------------------------------------------------

std::vector<std::string> Reply::strings() const {
  if (type != Type::Array) throw std::runtime_error("expected an array reply, got " + to_string());
  std::vector<std::string> out;
  out.reserve(elements.size());
  for (const auto& e : elements) out.push_back(e.is_integer() ? std::to_string(e.integer) : e.str);
  return out;
}

std::map<std::string, Reply> Reply::as_map() const {
  if (type != Type::Array || elements.size() % 2 != 0)
    throw std::runtime_error("expected a flat name/value array, got " + to_string());
  std::map<std::string, Reply> out;
  for (size_t i = 0; i < elements.size(); i += 2) out[elements[i].str] = elements[i + 1];
  return out;
}

double Reply::as_double() const {
  if (type == Type::Integer) return static_cast<double>(integer);
  if (!is_string()) throw std::runtime_error("expected a number, got " + to_string());
  size_t used = 0;
  double d = std::stod(str, &used);
  if (used != str.size()) throw std::runtime_error("not a number: " + str);
  return d;
}

long long Reply::as_integer() const {
  if (type == Type::Integer) return integer;
  if (!is_string()) throw std::runtime_error("expected an integer, got " + to_string());
  size_t used = 0;
  long long v = std::stoll(str, &used);
  if (used != str.size()) throw std::runtime_error("not an integer: " + str);
  return v;
}

std::string Reply::to_string() const {
  switch (type) {
    case Type::String: return "\"" + str + "\"";
    case Type::Status: return "+" + str;
    case Type::Error: return "(error) " + str;
    case Type::Integer: return "(integer) " + std::to_string(integer);
    case Type::Nil: return "(nil)";
    case Type::Array: {
      std::string out = "[";
      for (size_t i = 0; i < elements.size(); ++i) out += (i ? ", " : "") + elements[i].to_string();
      return out + "]";
    }
  }
  return "?";
}

void PrintTo(const Reply& reply, std::ostream* os) { *os << reply.to_string(); }

// ---- Client ---------------------------------------------------------------------------------

Client::Client(const std::string& host, int port, std::chrono::milliseconds timeout) {
  ctx_ = redisConnectWithTimeout(host.c_str(), port, to_timeval(timeout));
  if (ctx_ == nullptr || ctx_->err) {
    std::string why = ctx_ ? ctx_->errstr : "out of memory";
    if (ctx_) redisFree(ctx_);
    ctx_ = nullptr;
    throw std::runtime_error("cannot connect to " + host + ":" + std::to_string(port) + ": " + why);
  }
  redisSetTimeout(ctx_, to_timeval(timeout));
}

Client::~Client() {
  if (ctx_) redisFree(ctx_);
}

Client::Client(Client&& other) noexcept : ctx_(other.ctx_) { other.ctx_ = nullptr; }

Client& Client::operator=(Client&& other) noexcept {
  if (this != &other) {
    if (ctx_) redisFree(ctx_);
    ctx_ = other.ctx_;
    other.ctx_ = nullptr;
  }
  return *this;
}

Reply Client::cmd(const std::vector<std::string>& args) {
  send(args);
  return read_reply();
}

Reply Client::read_reply() {
  if (ctx_ == nullptr) throw std::runtime_error("client is not connected");
  void* raw = nullptr;
  if (redisGetReply(ctx_, &raw) != REDIS_OK || raw == nullptr)
    throw std::runtime_error(std::string("no reply: ") + ctx_->errstr);
  Reply out = copy_reply(static_cast<redisReply*>(raw));
  freeReplyObject(raw);
  return out;
}

void Client::send(const std::vector<std::string>& args) {
  if (ctx_ == nullptr) throw std::runtime_error("client is not connected");
  std::vector<const char*> argv;
  std::vector<size_t> argvlen;
  for (const auto& a : args) {
    argv.push_back(a.data());
    argvlen.push_back(a.size());
  }
  redisAppendCommandArgv(ctx_, static_cast<int>(args.size()), argv.data(), argvlen.data());
  int done = 0;
  while (!done)
    if (redisBufferWrite(ctx_, &done) != REDIS_OK) break;
}

// ---- RedisServer ----------------------------------------------------------------------------

std::string redis_server_path() {
  const char* env = std::getenv("RECO_REDIS_SERVER");
  return (env && *env) ? env : "/usr/bin/redis-server";
}

RedisServer::RedisServer() = default;

RedisServer::~RedisServer() {
  try {
    stop();
  } catch (...) {
  }
  // A sanitizer report in the server fails the test even where the server survived it.
  if (!dir_.empty()) {
    // ASan's note that it returned null for an impossible size (allocator_may_return_null,
    // set in launch()) is what a C library malloc does silently: not a report.
    std::string early;
    std::istringstream lines(read_file(dir_ + "/stdout.log"));
    for (std::string line; std::getline(lines, line);)
      if (line.find("AddressSanitizer failed to allocate") == std::string::npos) early += line + "\n";
    if (early.find("Sanitizer") != std::string::npos || early.find("runtime error:") != std::string::npos)
      ADD_FAILURE() << "sanitizer report in redis-server's output (" << dir_ << "/stdout.log)";
  }
  bool failed = ::testing::Test::HasFailure();
  if (failed && !dir_.empty())
    std::fprintf(stderr, "---- redis-server log (%s), last lines ----\n%s----\n", log_path().c_str(),
                 log_tail(30).c_str());
  if (dir_.empty()) return;
  if (failed || std::getenv("RECO_KEEP_TEST_DIRS")) {
    std::fprintf(stderr, "kept test server dir %s\n", dir_.c_str());
    return;
  }
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

std::string RedisServer::log_path() const { return dir_ + "/redis.log"; }
std::string RedisServer::config_path() const { return dir_ + "/redis.conf"; }

std::string RedisServer::log_tail(std::size_t lines) const {
  std::string out = tail_lines(read_file(log_path()), lines);
  // Errors found before the log file is opened (bad config) go to stdout/stderr.
  std::string early = read_file(dir_ + "/stdout.log");
  if (!early.empty()) out += "[stdout/stderr]\n" + tail_lines(early, lines);
  return out;
}

void RedisServer::start(const std::string& module_path, const ConfigLines& config,
                        const std::vector<std::string>& module_args) {
  if (running()) throw std::runtime_error("server already running");
  if (dir_.empty()) {
    char tmpl[] = "/tmp/reco-test-XXXXXX";
    if (::mkdtemp(tmpl) == nullptr) throw std::runtime_error("mkdtemp: " + std::string(std::strerror(errno)));
    dir_ = tmpl;
  }
  ConfigLines lines = {
      {"bind", "127.0.0.1"},
      {"dir", dir_},
      {"logfile", log_path()},
      {"dbfilename", "dump.rdb"},
      {"save", "\"\""},
      {"appendonly", "no"},
      {"daemonize", "no"},
      {"enable-debug-command", "local"},
      {"repl-diskless-sync-delay", "0"},
  };
  if (!module_path.empty()) {
    std::string value = module_path;
    for (const auto& a : module_args) value += " " + a;
    lines.emplace_back("loadmodule", value);
  }
  lines.insert(lines.end(), config.begin(), config.end());
  std::ofstream out(config_path(), std::ios::trunc);
  for (const auto& [name, value] : lines) out << name << " " << value << "\n";
  out.close();
  if (!out) throw std::runtime_error("cannot write " + config_path());

  // A port picked as free can be taken before redis binds it; try a few.
  for (int attempt = 0;; ++attempt) {
    port_ = pick_free_port();
    try {
      launch();
      return;
    } catch (const std::runtime_error&) {
      bool port_taken = read_file(log_path()).find("Address already in use") != std::string::npos;
      if (!port_taken || attempt >= 4) throw;
      std::ofstream(log_path(), std::ios::trunc).close();
    }
  }
}

void RedisServer::launch() {
  std::string server = redis_server_path();
  std::string conf = config_path();
  std::string port = std::to_string(port_);
  std::string early_log = dir_ + "/stdout.log";
  int pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork: " + std::string(std::strerror(errno)));
  if (pid == 0) {
    // The server must not outlive a crashed test binary, nor inherit its sockets.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    int fd = ::open(early_log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
      ::dup2(fd, STDOUT_FILENO);
      ::dup2(fd, STDERR_FILENO);
    }
    ::close_range(3, ~0U, 0);
    // A sanitized reco.so (RECO_SANITIZE) needs the ASan runtime loaded first, which for an
    // uninstrumented redis-server only LD_PRELOAD does; set for the server alone, as the
    // test binary carries its own static runtime. Redis does not free everything at exit,
    // so leak reports would only be noise there. An impossible allocation returns null, as
    // the C library's malloc does: Redis's own RDB reader asks for the length a corrupted
    // payload claims and handles the null, where ASan would otherwise abort the server.
    if (const char* pre = std::getenv("RECO_REDIS_PRELOAD"); pre && *pre) {
      ::setenv("LD_PRELOAD", pre, 1);
      ::setenv("ASAN_OPTIONS", "detect_leaks=0:allocator_may_return_null=1", 1);
    }
    const char* argv[] = {server.c_str(), conf.c_str(), "--port", port.c_str(), nullptr};
    ::execv(server.c_str(), const_cast<char* const*>(argv));
    std::fprintf(stderr, "exec %s: %s\n", server.c_str(), std::strerror(errno));
    ::_exit(127);
  }
  pid_ = pid;
  try {
    wait_ready(15s);
  } catch (...) {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      wait_child(pid_, 5s);
      pid_ = -1;
    }
    throw;
  }
}

void RedisServer::wait_ready(std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  std::string last = "no answer";
  while (Clock::now() < deadline) {
    int status = 0;
    if (child_exited(pid_, &status)) {
      pid_ = -1;
      throw std::runtime_error("redis-server on port " + std::to_string(port_) + " exited (status " +
                               std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status)) +
                               ") before answering PING; log tail:\n" + log_tail());
    }
    try {
      Client c("127.0.0.1", port_, 1s);
      Reply r = c.cmd({"PING"});
      if (r.is_string() && r.str == "PONG") return;
      last = r.to_string();  // e.g. -LOADING while the dataset is read back
    } catch (const std::exception& e) {
      last = e.what();
    }
    std::this_thread::sleep_for(20ms);
  }
  throw std::runtime_error("redis-server on port " + std::to_string(port_) + " did not answer PING within " +
                           std::to_string(timeout.count()) + " ms (last: " + last + "); log tail:\n" + log_tail());
}

void RedisServer::stop() {
  conn_.reset();
  if (!running()) return;
  try {
    Client c("127.0.0.1", port_, 2s);
    // NOW: do not wait for lagging replicas (7.0 would otherwise wait up to 10 s).
    c.send({"SHUTDOWN", "NOSAVE", "NOW"});
  } catch (...) {
  }
  if (!wait_child(pid_, 10s)) {
    ::kill(pid_, SIGTERM);
    if (!wait_child(pid_, 5s)) {
      ::kill(pid_, SIGKILL);
      wait_child(pid_, 5s);
    }
  }
  pid_ = -1;
}

void RedisServer::restart() {
  if (dir_.empty()) throw std::runtime_error("restart() before start()");
  stop();
  launch();
}

Client RedisServer::client() const { return Client("127.0.0.1", port_); }

Reply RedisServer::cmd(const std::vector<std::string>& args) {
  if (!conn_) conn_ = std::make_unique<Client>("127.0.0.1", port_);
  try {
    return conn_->cmd(args);
  } catch (const std::exception& e) {
    conn_.reset();  // a broken connection is reopened by the next call
    // The test body unwinds before GoogleTest records the failure, so say where to look now.
    throw std::runtime_error(std::string(e.what()) + " (server port " + std::to_string(port_) + "); log tail:\n" +
                             log_tail(20));
  }
}

std::map<std::string, std::string> RedisServer::info(const std::string& section) {
  Reply r = cmd({"INFO", section});
  if (!r.is_string()) throw std::runtime_error("INFO " + section + ": " + r.to_string());
  std::map<std::string, std::string> out;
  std::istringstream in(r.str);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || line[0] == '#') continue;
    auto colon = line.find(':');
    if (colon != std::string::npos) out[line.substr(0, colon)] = line.substr(colon + 1);
  }
  return out;
}

void RedisServer::replica_of(const RedisServer& master) {
  Reply r = cmd({"REPLICAOF", "127.0.0.1", std::to_string(master.port())});
  if (r.is_error()) throw std::runtime_error("REPLICAOF failed: " + r.str);
}

void wait_until(const std::function<bool()>& done, std::chrono::milliseconds timeout, const std::string& what) {
  auto deadline = Clock::now() + timeout;
  while (!done()) {
    if (Clock::now() >= deadline)
      throw std::runtime_error("timed out after " + std::to_string(timeout.count()) + " ms waiting for " + what);
    std::this_thread::sleep_for(20ms);
  }
}

void wait_for_sync(RedisServer& master, RedisServer& replica, std::chrono::milliseconds timeout) {
  std::string state;
  try {
    wait_until(
        [&] {
          auto r = replica.info("replication");
          auto m = master.info("replication");
          state = "link=" + r["master_link_status"] + " replica_offset=" + r["slave_repl_offset"] +
                  " master_offset=" + m["master_repl_offset"];
          return r["master_link_status"] == "up" && r["master_sync_in_progress"] == "0" &&
                 r["slave_repl_offset"] == m["master_repl_offset"];
        },
        timeout, "replica sync");
  } catch (const std::runtime_error& e) {
    throw std::runtime_error(std::string(e.what()) + " (" + state + "); replica log tail:\n" + replica.log_tail() +
                             "master log tail:\n" + master.log_tail());
  }
}

}  // namespace reco::test
