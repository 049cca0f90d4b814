// Content digests (see reco/catalog_digest.hpp and reco/digest.hpp).
//
// Every field is fed in a fixed layout (lengths before bytes, numbers as their little-endian
// bits, -0 as 0), so that equal contents hash equally on every node. Unordered collections
// (an item's terms and features, the model versions) are summed member by member, as the
// items are, so their order does not count.
#define XXH_INLINE_ALL
#include <xxhash.h>

#include <cstring>
#include <string_view>

#include "reco/catalog_digest.hpp"
#include "reco/blend.hpp"
#include "reco/codec.hpp"
#include "reco/model_set.hpp"

namespace reco {

namespace {

// A streaming XXH3-128 over a fixed layout of fields; a ByteSink, so that settings are
// hashed in the very layout the catalog encoder writes them (save_index_config, save_blend).
class Hasher final : public ByteSink {
 public:
  void put_u64(std::uint64_t v) override { u64(v); }
  void put_double(double v) override { f64(v); }
  void put_bytes(std::string_view b) override { text(b); }

  Hasher() noexcept { XXH3_128bits_reset(&state_); }
  void bytes(const void* p, std::size_t n) noexcept { XXH3_128bits_update(&state_, p, n); }
  void u64(std::uint64_t v) noexcept {
    unsigned char b[8];
    for (int i = 0; i < 8; ++i) b[i] = static_cast<unsigned char>(v >> (8 * i));
    bytes(b, 8);
  }
  void text(std::string_view s) noexcept {
    u64(s.size());
    bytes(s.data(), s.size());
  }
  void f64(double v) noexcept {
    v += 0.0;  // -0 as 0
    std::uint64_t b;
    std::memcpy(&b, &v, 8);
    u64(b);
  }
  void f32(float v) noexcept {
    v += 0.0f;
    std::uint32_t b;
    std::memcpy(&b, &v, 4);
    u64(b);
  }
  void digest(const Digest128& d) noexcept {
    u64(d.lo);
    u64(d.hi);
  }
  Digest128 done() noexcept {
    const XXH128_hash_t h = XXH3_128bits_digest(&state_);
    return {h.low64, h.high64};
  }

 private:
  XXH3_state_t state_;
};

Digest128 of_text(std::string_view a, std::string_view b = {}) noexcept {
  Hasher h;
  h.text(a);
  h.text(b);
  return h.done();
}

}  // namespace

std::string Digest128::hex() const {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(32, '0');
  for (int i = 0; i < 16; ++i) {
    out[15 - i] = kHex[(hi >> (4 * i)) & 0xf];
    out[31 - i] = kHex[(lo >> (4 * i)) & 0xf];
  }
  return out;
}

Digest128 item_digest(const Item& item, std::span<const float> vector) noexcept {
  Digest128 terms, features;
  for (const String& t : item.terms) terms.add(of_text(view(t)));
  for (const Feature& f : item.features) features.add(of_text(view(f.name), view(f.value)));
  Hasher h;
  h.text(view(item.id));
  h.u64(vector.size());
  for (float x : vector) h.f32(x);
  h.u64(item.terms.size());
  h.digest(terms);
  h.f64(item.popularity);
  h.u64(static_cast<std::uint64_t>(item.time));
  h.u64(item.features.size());
  h.digest(features);
  return h.done();
}

Digest128 catalog_digest(const Catalog& c) {
  Hasher h;
  h.text("reco catalog digest 1");
  h.u64(c.size());
  h.digest(c.items_digest());
  h.u64(c.dim());
  h.u64(static_cast<std::uint64_t>(c.metric()));
  save_index_config(c.index_config(), h);
  const auto bias = c.bias_dim();
  h.u64(bias ? std::uint64_t(*bias) + 1 : 0);
  save_blend(c.blend(), h);
  const ModelSet& models = c.models();
  Digest128 versions;
  std::size_t count = 0;
  for (const ModelVersionInfo& v : models.list()) {
    Hasher m;
    m.text(v.name);
    m.u64(v.digest);
    m.u64(v.file_bytes);
    versions.add(m.done());
    ++count;
  }
  h.u64(count);
  h.digest(versions);
  const ModelVersion* active = models.active();
  h.text(active ? active->name() : std::string_view{});
  const auto& split = models.current_split();
  h.u64(split ? 1 : 0);
  if (split) {
    h.text(split->a);
    h.text(split->b);
    h.u64(split->b_buckets);
  }
  return h.done();
}

}  // namespace reco
