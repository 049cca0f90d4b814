// A reply recorded as plain data, to be written to the client later on the main thread.
//
// Queries run on worker threads, which may not call the module API; they record their
// reply here and the main thread writes it (DeferredReply::send) in the blocked client's
// reply callback. Inline queries record and send the same way, so both modes produce the
// same bytes by construction. Ownership: built by one thread, then handed over whole (the
// pool's queue and Redis's unblock path order the hand-over); never shared while written.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "redismodule.h"

namespace reco::glue {

class DeferredReply {
 public:
  void array(std::size_t n) { push(Kind::Array).n = static_cast<long long>(n); }
  void string(std::string_view s) {
    Entry& e = push(Kind::String);
    e.off = bytes_.size();
    e.n = static_cast<long long>(s.size());
    bytes_.append(s);
  }
  void real(double d) { push(Kind::Double).d = d; }
  void integer(long long v) { push(Kind::Integer).n = v; }
  void null() { push(Kind::Null); }
  // Replaces whatever was recorded: a failed query replies with its error alone. `text`
  // is the full reply, code included ("ERR ...").
  void fail(std::string_view text) {
    entries_.clear();
    bytes_.clear();
    string(text);
    entries_.back().kind = Kind::Error;
  }
  bool failed() const noexcept { return !entries_.empty() && entries_.front().kind == Kind::Error; }

  void send(RedisModuleCtx* ctx) const;

 private:
  enum class Kind : std::uint8_t { Array, String, Double, Integer, Null, Error };
  struct Entry {
    Kind kind;
    std::size_t off = 0;  // String, Error: into bytes_
    long long n = 0;      // Array: length; String, Error: byte count; Integer: value
    double d = 0;
  };
  Entry& push(Kind k) {
    entries_.push_back(Entry{k});
    return entries_.back();
  }

  std::vector<Entry> entries_;
  std::string bytes_;
};

}  // namespace reco::glue
