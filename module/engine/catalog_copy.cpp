// The catalog copy format (see reco/catalog_copy.hpp).
#include "reco/catalog_copy.hpp"

#define XXH_INLINE_ALL
#include <xxhash.h>

#include <cstring>

#include "reco/codec.hpp"
#include "reco/error.hpp"

namespace reco {
namespace {

constexpr std::string_view kMagic = "RECOCAT1";

std::uint64_t checksum(std::string_view bytes) { return XXH3_64bits(bytes.data(), bytes.size()); }

// BufferSink's byte layout, into a reco::String.
class StringSink final : public ByteSink {
 public:
  explicit StringSink(String& out) : out_(out) {}
  void put_u64(std::uint64_t v) override {
    for (int b = 0; b < 8; ++b) out_.push_back(static_cast<char>(v >> (8 * b)));
  }
  void put_double(double v) override {
    std::uint64_t bits;
    std::memcpy(&bits, &v, 8);
    put_u64(bits);
  }
  void put_bytes(std::string_view b) override {
    put_u64(b.size());
    out_.append(b);
  }

 private:
  String& out_;
};

}  // namespace

String encode_catalog_copy(const Catalog& catalog) {
  String bytes;
  bytes.append(kMagic);
  StringSink out(bytes);
  out.put_u64(kCatalogEncoding);
  save_catalog(catalog, out);
  const std::uint64_t sum = checksum(view(bytes));
  out.put_u64(sum);
  return bytes;
}

std::unique_ptr<Catalog> decode_catalog_copy(std::string_view bytes) {
  if (bytes.size() < kMagic.size() + 16 || bytes.substr(0, kMagic.size()) != kMagic)
    throw Error("not a catalog copy (RECO.CATALOG.DUMP output)");
  const std::string_view body = bytes.substr(0, bytes.size() - 8);
  std::uint64_t sum = 0;
  for (int b = 0; b < 8; ++b)
    sum |= std::uint64_t(static_cast<unsigned char>(bytes[bytes.size() - 8 + b])) << (8 * b);
  if (sum != checksum(body)) throw Error("catalog copy checksum mismatch (a part is missing, repeated or damaged)");
  BufferSource in(body.substr(kMagic.size()));
  const std::uint64_t encoding = in.get_u64();
  if (encoding == 0 || encoding > kCatalogEncoding)
    throw Error("catalog copy encoding " + std::to_string(encoding) + " is not one this module reads (1.." +
                std::to_string(kCatalogEncoding) + ")");
  std::unique_ptr<Catalog> c = load_catalog(in, static_cast<std::uint32_t>(encoding));
  if (in.remaining() != 0) throw Error("catalog copy has " + std::to_string(in.remaining()) + " trailing bytes");
  return c;
}

}  // namespace reco
