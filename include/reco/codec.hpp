// Persistence of catalogs and user profiles, independent of where the bytes go.
//
// The glue adapts these sinks to RDB (RedisModule_Save*/Load*) and tests adapt them to a
// byte buffer, so the same code is exercised by unit tests with truncated and corrupted
// payloads. Loading validates every count and size against the remaining input and
// throws reco::Error instead of trusting it: an RDB or RESTORE payload must never crash
// the server. Encodings carry a version; readers accept every version up to their own.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "reco/catalog.hpp"
#include "reco/user_profile.hpp"

namespace reco {

constexpr std::uint32_t kCatalogEncoding = 3;  // 3: + bias dimension (codec.cpp)
constexpr std::uint32_t kUserEncoding = 1;

class ByteSink {
 public:
  virtual ~ByteSink() = default;
  virtual void put_u64(std::uint64_t v) = 0;
  virtual void put_double(double v) = 0;
  virtual void put_bytes(std::string_view b) = 0;
};

class ByteSource {
 public:
  virtual ~ByteSource() = default;
  // Each throws reco::Error when the input is exhausted or broken.
  virtual std::uint64_t get_u64() = 0;
  virtual double get_double() = 0;
  virtual std::string get_bytes() = 0;
  // Called by the loaders once per item, chunk or long step: a source over a live server's
  // RDB stream uses it to let the server answer clients (LOADING) during long loads. It
  // must not touch the data being loaded.
  virtual void yield_point() {}
};
void save_catalog(const Catalog& c, ByteSink& out);
// The index settings as save_catalog writes them (also what the catalog digest hashes).
void save_index_config(const IndexConfig& ix, ByteSink& out);
std::unique_ptr<Catalog> load_catalog(ByteSource& in, std::uint32_t encoding);

void save_user(const UserProfile& u, ByteSink& out);
std::unique_ptr<UserProfile> load_user(ByteSource& in, std::uint32_t encoding);

// In-memory sink/source: a self-describing byte string (tests, DUMP-like tooling).
class BufferSink final : public ByteSink {
 public:
  void put_u64(std::uint64_t v) override;
  void put_double(double v) override;
  void put_bytes(std::string_view b) override;
  const std::string& bytes() const { return buf_; }

 private:
  std::string buf_;
};

class BufferSource final : public ByteSource {
 public:
  explicit BufferSource(std::string_view bytes) : buf_(bytes) {}
  std::uint64_t get_u64() override;
  double get_double() override;
  std::string get_bytes() override;
  std::size_t remaining() const noexcept { return buf_.size() - pos_; }

 private:
  std::string_view buf_;
  std::size_t pos_ = 0;
};

}  // namespace reco
