// RDB adapters for the engine's codecs (see rdb_io.hpp).
#include "rdb_io.hpp"

#include "reco/error.hpp"

namespace reco::glue {

void RdbSink::put_u64(std::uint64_t v) { RedisModule_SaveUnsigned(io_, v); }
void RdbSink::put_double(double v) { RedisModule_SaveDouble(io_, v); }
void RdbSink::put_bytes(std::string_view b) { RedisModule_SaveStringBuffer(io_, b.data(), b.size()); }

void RdbSource::check() const {
  if (RedisModule_IsIOError(io_)) throw Error("RDB stream is truncated or unreadable");
}

std::uint64_t RdbSource::get_u64() {
  std::uint64_t v = RedisModule_LoadUnsigned(io_);
  check();
  return v;
}

double RdbSource::get_double() {
  double v = RedisModule_LoadDouble(io_);
  check();
  return v;
}

std::string RdbSource::get_bytes() {
  std::size_t len = 0;
  char* p = RedisModule_LoadStringBuffer(io_, &len);
  if (!p) {
    check();
    return std::string();
  }
  std::string out;
  try {
    out.assign(p, len);
  } catch (...) {
    RedisModule_Free(p);
    throw;
  }
  RedisModule_Free(p);
  check();
  return out;
}

void RdbSource::yield_point() {
  if (++since_yield_ < kYieldEvery) return;
  since_yield_ = 0;
  RedisModule_Yield(RedisModule_GetContextFromIO(io_), REDISMODULE_YIELD_FLAG_CLIENTS, "reco is loading");
}

}  // namespace reco::glue
