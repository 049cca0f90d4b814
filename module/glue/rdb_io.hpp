// The engine's byte sink/source over an RDB stream.
//
// The engine's codecs write through reco::ByteSink/ByteSource and never see Redis; these
// adapters map them onto RedisModule_Save*/Load*. The module sets HANDLE_IO_ERRORS, so a
// short or broken stream makes a load return zero instead of killing the server: every read
// checks RedisModule_IsIOError and throws reco::Error, which the type callbacks turn into a
// failed load.
#pragma once

#include "reco/codec.hpp"
#include "redismodule.h"

namespace reco::glue {

class RdbSink final : public ByteSink {
 public:
  explicit RdbSink(RedisModuleIO* io) : io_(io) {}
  void put_u64(std::uint64_t v) override;
  void put_double(double v) override;
  void put_bytes(std::string_view b) override;

 private:
  RedisModuleIO* io_;
};

class RdbSource final : public ByteSource {
 public:
  explicit RdbSource(RedisModuleIO* io) : io_(io) {}
  std::uint64_t get_u64() override;
  double get_double() override;
  std::string get_bytes() override;
  // Every kYieldEvery calls, RedisModule_Yield: during a long RDB load (catalogs of
  // millions of items) the server keeps answering clients, with LOADING, instead of
  // freezing. Redis itself only serves clients while bytes are read, not while the module
  // builds and checks what it read. Redis rate-limits the yield itself (once per tick).
  void yield_point() override;

 private:
  static constexpr unsigned kYieldEvery = 1024;
  void check() const;
  RedisModuleIO* io_;
  unsigned since_yield_ = 0;
};

}  // namespace reco::glue
