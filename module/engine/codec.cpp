// Catalog and user-profile encodings (see reco/codec.hpp).
//
// Catalog, encoding 3: encoding 2 followed by the bias dimension (u64: 0 = none, else the
//   dimension's index + 1; see Catalog::bias_dim()).
// Catalog, encoding 2 (still read; loads with no bias dimension):
//   name, dim, metric, version, id_bound, free ids (count, ids...), items (count, then per
//   item: dense id, id, vector bytes (always empty: the index holds them), terms (count,
//   bytes...), popularity, time, features (count, name/value...)), index configuration
//   (kind, m, ef_construction, ef_runtime, quant, keep_float, exact_below), blend
//   (blend.hpp), the vector index itself (VectorIndex::save: the graph is loaded, not
//   rebuilt), the models (model_set.hpp).
// Catalog, encoding 1 (still read): the same up to the items, whose vector bytes carry the
//   vectors; nothing after them. Such a catalog was exact, and loads as INDEX FLAT.
// User, encoding 1:
//   vector bytes (empty = none), terms (count, term/weight...), features (count, name/
//   value...), seen fingerprints as one little-endian u64 block.
// Loaders never allocate from a count they read: they grow as real data arrives, so a
// forged count ends in an exhausted input (an error), not in a huge allocation.
#include "reco/codec.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <unordered_set>

#include "reco/error.hpp"
#include "reco/fingerprint.hpp"
#include "reco/model_set.hpp"
#include "reco/vector_index.hpp"

namespace reco {
namespace {

void put_string(ByteSink& out, std::string_view s) { out.put_bytes(s); }

void put_floats(ByteSink& out, std::span<const float> v) {
  out.put_bytes({reinterpret_cast<const char*>(v.data()), v.size() * sizeof(float)});
}

std::vector<float> get_floats(ByteSource& in, const char* what) {
  std::string b = in.get_bytes();
  if (b.size() % sizeof(float) != 0) throw Error(std::string("corrupt ") + what + " vector");
  std::vector<float> v(b.size() / sizeof(float));
  if (!v.empty()) std::memcpy(v.data(), b.data(), b.size());
  for (float x : v)
    if (!std::isfinite(x)) throw Error(std::string("corrupt ") + what + " vector value");
  return v;
}

double get_finite(ByteSource& in, const char* what) {
  double d = in.get_double();
  if (!std::isfinite(d)) throw Error(std::string("corrupt ") + what);
  return d;
}

void check_encoding(std::uint32_t encoding, std::uint32_t newest, const char* what) {
  if (encoding < 1 || encoding > newest)
    throw Error(std::string("unsupported ") + what + " encoding " + std::to_string(encoding));
}

}  // namespace

void save_index_config(const IndexConfig& ix, ByteSink& out) {
  out.put_u64(static_cast<std::uint64_t>(ix.kind));
  out.put_u64(ix.m);
  out.put_u64(ix.ef_construction);
  out.put_u64(ix.ef_runtime);
  out.put_u64(static_cast<std::uint64_t>(ix.quant));
  out.put_u64(ix.keep_float ? 1 : 0);
  out.put_u64(ix.exact_below);
}

void save_catalog(const Catalog& c, ByteSink& out) {
  put_string(out, c.name());
  out.put_u64(c.dim_);
  out.put_u64(static_cast<std::uint64_t>(c.metric_));
  out.put_u64(c.version_);
  out.put_u64(c.items_.size());
  out.put_u64(c.free_ids_.size());
  for (std::uint32_t id : c.free_ids_) out.put_u64(id);
  out.put_u64(c.live_count_);
  for (std::uint32_t d = 0; d < c.items_.size(); ++d) {
    if (!c.live_[d]) continue;
    const Item& it = c.items_[d];
    out.put_u64(d);
    put_string(out, view(it.id));
    put_floats(out, {});
    out.put_u64(it.terms.size());
    for (const String& t : it.terms) put_string(out, view(t));
    out.put_double(it.popularity);
    out.put_u64(static_cast<std::uint64_t>(it.time));
    out.put_u64(it.features.size());
    for (const Feature& f : it.features) {
      put_string(out, view(f.name));
      put_string(out, view(f.value));
    }
  }
  save_index_config(c.index_config_, out);
  save_blend(c.blend_, out);
  c.vectors_->save(out);
  out.put_u64(kModelSetEncoding);
  c.models_->save(out);
  out.put_u64(c.bias_dim_ ? std::uint64_t(*c.bias_dim_) + 1 : 0);
}

std::unique_ptr<Catalog> load_catalog(ByteSource& in, std::uint32_t encoding) {
  check_encoding(encoding, kCatalogEncoding, "catalog");
  const std::string name = in.get_bytes();
  const std::uint64_t dim = in.get_u64();
  const std::uint64_t metric = in.get_u64();
  if (dim < 1 || dim > kMaxDim || metric > static_cast<std::uint64_t>(Metric::L2))
    throw Error("corrupt catalog header");
  // The index configuration comes after the items; the catalog is built with a flat index
  // until then.
  auto c = std::make_unique<Catalog>(name, dim, static_cast<Metric>(metric),
                                     IndexConfig{.kind = IndexKind::Flat});
  const std::uint64_t version = in.get_u64();
  const std::uint64_t id_bound = in.get_u64();
  if (id_bound > UINT32_MAX) throw Error("corrupt catalog id bound");

  std::vector<std::uint32_t> free_ids;
  for (std::uint64_t n = in.get_u64(), i = 0; i < n; ++i) {
    std::uint64_t id = in.get_u64();
    if (id >= id_bound) throw Error("corrupt catalog free list");
    free_ids.push_back(static_cast<std::uint32_t>(id));
  }
  struct Loaded {
    std::uint32_t dense;
    Item item;
    std::vector<float> vector;
  };
  std::vector<Loaded> loaded;
  for (std::uint64_t n = in.get_u64(), i = 0; i < n; ++i) {
    in.yield_point();
    Loaded l;
    std::uint64_t dense = in.get_u64();
    if (dense >= id_bound) throw Error("corrupt catalog item id");
    l.dense = static_cast<std::uint32_t>(dense);
    l.item.id = to_string(in.get_bytes());
    l.vector = get_floats(in, "item");
    if (!l.vector.empty() && l.vector.size() != dim) throw Error("corrupt item vector size");
    for (std::uint64_t m = in.get_u64(), j = 0; j < m; ++j) l.item.terms.push_back(to_string(in.get_bytes()));
    l.item.popularity = get_finite(in, "item popularity");
    l.item.time = static_cast<std::int64_t>(in.get_u64());
    for (std::uint64_t m = in.get_u64(), j = 0; j < m; ++j) {
      Feature f;
      f.name = to_string(in.get_bytes());
      f.value = to_string(in.get_bytes());
      l.item.features.push_back(std::move(f));
    }
    loaded.push_back(std::move(l));
  }

  // Every slot below id_bound is exactly one of: free, or one live item; ids are unique.
  if (free_ids.size() + loaded.size() != id_bound) throw Error("corrupt catalog slot count");
  std::vector<std::uint8_t> used(id_bound, 0);
  for (std::uint32_t id : free_ids) {
    if (used[id]) throw Error("corrupt catalog free list");
    used[id] = 1;
  }
  std::unordered_set<std::string_view> ids;
  for (const Loaded& l : loaded) {
    if (used[l.dense]) throw Error("corrupt catalog item slot");
    used[l.dense] = 1;
    if (!ids.insert(view(l.item.id)).second) throw Error("corrupt catalog: duplicate item id");
  }
  std::unordered_set<std::uint64_t> fps;
  for (const Loaded& l : loaded)
    if (!fps.insert(fingerprint(view(l.item.id))).second) throw Error("corrupt catalog: fingerprint collision");

  if (encoding >= 2)
    for (const Loaded& l : loaded)
      if (!l.vector.empty()) throw Error("corrupt catalog: vector outside the index");

  c->items_.resize(id_bound);
  c->live_.assign(id_bound, 0);
  c->fps_.assign(id_bound, 0);
  c->free_ids_.assign(free_ids.begin(), free_ids.end());
  for (Loaded& l : loaded) c->place(l.dense, std::move(l.item), l.vector);
  c->version_ = version;
  if (encoding < 2) {
    c->rebuild_items_digest();
    c->refresh_derived();
    return c;
  }

  IndexConfig ix;
  const std::uint64_t kind = in.get_u64();
  if (kind > static_cast<std::uint64_t>(IndexKind::Hnsw)) throw Error("corrupt catalog index kind");
  ix.kind = static_cast<IndexKind>(kind);
  const std::uint64_t m = in.get_u64(), efc = in.get_u64(), efr = in.get_u64();
  const std::uint64_t quant = in.get_u64(), keep = in.get_u64(), below = in.get_u64();
  if (m > kMaxM || efc > kMaxEf || efr > kMaxEf ||
      quant > static_cast<std::uint64_t>(Quantization::Int8) || keep > 1 || below > UINT32_MAX)
    throw Error("corrupt catalog index configuration");
  ix.m = static_cast<std::uint32_t>(m);
  ix.ef_construction = static_cast<std::uint32_t>(efc);
  ix.ef_runtime = static_cast<std::uint32_t>(efr);
  ix.quant = static_cast<Quantization>(quant);
  ix.keep_float = keep == 1;
  ix.exact_below = static_cast<std::uint32_t>(below);
  ix.validate();
  c->index_config_ = ix;
  c->blend_ = load_blend(in);

  in.yield_point();
  // The index may hold no id outside the catalog's slots: its sizes are bounded by the
  // slots the payload already paid for (8 bytes per free id, more per item).
  std::unique_ptr<VectorIndex> index = load_vector_index(in, dim, c->metric_, id_bound);
  if ((index->kind() == "hnsw") != ix.uses_graph())
    throw Error("corrupt catalog: index kind does not match its configuration");
  std::size_t with_vector = 0;
  for (std::uint32_t d = 0; d < id_bound; ++d) {
    if (!index->contains(d)) continue;
    if (!c->live_[d]) throw Error("corrupt catalog: vector of a deleted item");
    ++with_vector;
  }
  if (with_vector != index->size()) throw Error("corrupt catalog: index holds unknown ids");
  c->vectors_ = std::move(index);
  c->rebuild_items_digest();
  const std::uint64_t model_encoding = in.get_u64();
  if (model_encoding < 1 || model_encoding > kModelSetEncoding)
    throw Error("unsupported model set encoding " + std::to_string(model_encoding));
  c->models_ = ModelSet::load(in, static_cast<std::uint32_t>(model_encoding), CatalogItems(*c));
  if (encoding >= 3) {
    const std::uint64_t bias = in.get_u64();
    if (bias > dim || (bias != 0 && dim < 2)) throw Error("corrupt catalog bias dimension");
    if (bias != 0) c->bias_dim_ = static_cast<std::uint32_t>(bias - 1);
  }
  in.yield_point();
  // Sorted here, while the server answers LOADING, rather than before the first query.
  c->refresh_derived();
  return c;
}

void save_user(const UserProfile& u, ByteSink& out) {
  put_floats(out, u.vector);
  out.put_u64(u.terms.size());
  for (const WeightedTerm& t : u.terms) {
    put_string(out, view(t.term));
    out.put_double(t.weight);
  }
  out.put_u64(u.features.size());
  for (const Feature& f : u.features) {
    put_string(out, view(f.name));
    put_string(out, view(f.value));
  }
  auto fps = u.seen.fingerprints();
  std::string block(fps.size() * 8, '\0');
  for (std::size_t i = 0; i < fps.size(); ++i)
    for (int b = 0; b < 8; ++b) block[i * 8 + b] = static_cast<char>(fps[i] >> (8 * b));
  out.put_bytes(block);
}

std::unique_ptr<UserProfile> load_user(ByteSource& in, std::uint32_t encoding) {
  check_encoding(encoding, kUserEncoding, "user");
  auto u = std::make_unique<UserProfile>();
  auto v = get_floats(in, "user");
  if (v.size() > kMaxDim) throw Error("corrupt user vector size");
  u->vector.assign(v.begin(), v.end());
  for (std::uint64_t n = in.get_u64(), i = 0; i < n; ++i) {
    WeightedTerm t;
    t.term = to_string(in.get_bytes());
    t.weight = static_cast<float>(get_finite(in, "user term weight"));
    if (!std::isfinite(t.weight)) throw Error("corrupt user term weight");
    u->terms.push_back(std::move(t));
  }
  for (std::uint64_t n = in.get_u64(), i = 0; i < n; ++i) {
    Feature f;
    f.name = to_string(in.get_bytes());
    f.value = to_string(in.get_bytes());
    u->features.push_back(std::move(f));
  }
  std::string block = in.get_bytes();
  if (block.size() % 8 != 0) throw Error("corrupt seen-set");
  std::vector<std::uint64_t> fps(block.size() / 8);
  for (std::size_t i = 0; i < fps.size(); ++i) {
    std::uint64_t x = 0;
    for (int b = 0; b < 8; ++b) x |= std::uint64_t(static_cast<unsigned char>(block[i * 8 + b])) << (8 * b);
    fps[i] = x;
  }
  u->seen.assign(fps);
  return u;
}

// Buffer format: u64 and double as 8 little-endian bytes, bytes as a u64 length + data.
void BufferSink::put_u64(std::uint64_t v) {
  for (int b = 0; b < 8; ++b) buf_.push_back(static_cast<char>(v >> (8 * b)));
}
void BufferSink::put_double(double v) {
  std::uint64_t bits;
  std::memcpy(&bits, &v, 8);
  put_u64(bits);
}
void BufferSink::put_bytes(std::string_view b) {
  put_u64(b.size());
  buf_.append(b);
}

std::uint64_t BufferSource::get_u64() {
  if (buf_.size() - pos_ < 8) throw Error("truncated payload");
  std::uint64_t v = 0;
  for (int b = 0; b < 8; ++b) v |= std::uint64_t(static_cast<unsigned char>(buf_[pos_ + b])) << (8 * b);
  pos_ += 8;
  return v;
}
double BufferSource::get_double() {
  std::uint64_t bits = get_u64();
  double d;
  std::memcpy(&d, &bits, 8);
  return d;
}
std::string BufferSource::get_bytes() {
  std::uint64_t n = get_u64();
  if (n > buf_.size() - pos_) throw Error("truncated payload");
  std::string s(buf_.substr(pos_, n));
  pos_ += n;
  return s;
}

}  // namespace reco
