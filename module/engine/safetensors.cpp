// safetensors reader and writer (see reco/safetensors.hpp).
//
// The reader checks everything it can before it copies a byte: header length against the
// file, each entry's keys and types, shape products against offsets (with overflow checks,
// since a forged shape can multiply past 2^64), and finally that the entries tile the data
// area. Only then does it copy the tensors out.
#include "reco/safetensors.hpp"

#include <algorithm>
#include <bit>
#include <cstring>
#include <set>

#include "model_json.hpp"
#include "reco/error.hpp"

namespace reco {

static_assert(std::endian::native == std::endian::little,
              "tensor bytes are little-endian and copied as-is");

namespace {

using json = model_json::Json;
using model_json::text_of;

[[noreturn]] void fail(const std::string& msg) { throw Error("safetensors: " + msg); }

std::string qs(const std::string& s) { return "\"" + s + "\""; }

std::uint64_t get_uint(const json& v, const std::string& what) {
  if (!v.is_number_unsigned()) {
    if (v.is_number_integer()) fail(what + " is negative");
    fail(what + " is not a non-negative integer");
  }
  return v.get<std::uint64_t>();
}

struct Entry {
  std::string name;
  std::vector<std::uint64_t> shape;
  std::uint64_t begin = 0, end = 0;
};

Entry parse_entry(const std::string& name, const json& v, std::uint64_t data_size) {
  const std::string t = "tensor " + qs(name);
  if (!v.is_object()) fail(t + " is not an object");
  Entry e;
  e.name = name;
  for (auto it = v.begin(); it != v.end(); ++it)
    if (it.key() != "dtype" && it.key() != "shape" && it.key() != "data_offsets")
      fail(t + " has unknown key " + qs(std::string(view(it.key()))));
  auto dt = v.find("dtype");
  if (dt == v.end() || !dt->is_string()) fail(t + " has no dtype string");
  if (text_of(*dt) != "F32")
    fail(t + " has dtype " + std::string(text_of(*dt)) + "; only F32 is supported");
  auto sh = v.find("shape");
  if (sh == v.end() || !sh->is_array()) fail(t + " has no shape array");
  if (sh->size() > kMaxTensorRank) fail(t + " has rank " + std::to_string(sh->size()) + " (at most 8)");
  std::uint64_t count = 1;
  for (const json& d : *sh) {
    std::uint64_t n = get_uint(d, t + " shape entry");
    e.shape.push_back(n);
    if (n != 0 && count > (UINT64_MAX / 4) / n) fail(t + " shape is too large");
    count *= n;
  }
  auto off = v.find("data_offsets");
  if (off == v.end() || !off->is_array() || off->size() != 2)
    fail(t + " has no data_offsets [begin, end]");
  e.begin = get_uint((*off)[0], t + " data_offsets begin");
  e.end = get_uint((*off)[1], t + " data_offsets end");
  if (e.begin > e.end) fail(t + " data_offsets begin > end");
  if (e.end > data_size)
    fail(t + " data_offsets end " + std::to_string(e.end) + " is past the data size " +
         std::to_string(data_size));
  if (e.end - e.begin != count * 4)
    fail(t + " has " + std::to_string(e.end - e.begin) + " bytes but its shape needs " +
         std::to_string(count * 4));
  return e;
}

}  // namespace

const Tensor* TensorFile::find(std::string_view name) const noexcept {
  for (const Tensor& t : tensors)
    if (t.name == name) return &t;
  return nullptr;
}

const std::string* TensorFile::meta(std::string_view key) const noexcept {
  for (const auto& kv : metadata)
    if (kv.first == key) return &kv.second;
  return nullptr;
}

static TensorFile read_checked(std::string_view bytes);

TensorFile read_safetensors(std::string_view bytes) {
  try {
    return read_checked(bytes);
  } catch (const json::exception& e) {  // a type check this file missed: still a clean error
    fail(e.what());
  }
}

std::uint64_t check_safetensors_framing(std::string_view bytes) {
  if (bytes.size() < 8) fail("file is too short (" + std::to_string(bytes.size()) + " bytes)");
  if (bytes.size() > kMaxTensorFileBytes)
    fail("file is larger than " + std::to_string(kMaxTensorFileBytes) + " bytes");
  std::uint64_t n = 0;
  for (int b = 0; b < 8; ++b) n |= std::uint64_t(static_cast<unsigned char>(bytes[b])) << (8 * b);
  if (n == 0) fail("header length is 0");
  if (n > bytes.size() - 8)
    fail("header length " + std::to_string(n) + " exceeds the file size " + std::to_string(bytes.size()));
  if (n > kMaxTensorHeaderBytes) fail("header length " + std::to_string(n) + " is too large");
  // The format requires the header to be a JSON object, and its first byte to open it.
  if (bytes[8] != '{') fail("header does not start with '{'");
  return n;
}

static TensorFile read_checked(std::string_view bytes) {
  const std::uint64_t n = check_safetensors_framing(bytes);
  const std::string_view header = bytes.substr(8, n);
  const std::string_view data = bytes.substr(8 + n);

  // A header holds one small entry per tensor and string metadata (the schema is one
  // string): a million values is far beyond any real file.
  model_json::Limits limits;
  limits.max_values = std::size_t(1) << 20;
  json h = model_json::parse_strict(header, "safetensors header", limits);
  if (!h.is_object()) fail("header is not a JSON object");

  TensorFile out;
  std::vector<Entry> entries;
  for (auto it = h.begin(); it != h.end(); ++it) {
    if (it.key() == "__metadata__") {
      if (!it->is_object()) fail("__metadata__ is not an object");
      for (auto m = it->begin(); m != it->end(); ++m) {
        if (!m->is_string()) fail("__metadata__ value " + qs(std::string(view(m.key()))) + " is not a string");
        out.metadata.emplace_back(std::string(view(m.key())), std::string(text_of(*m)));
      }
      continue;
    }
    entries.push_back(parse_entry(std::string(view(it.key())), *it, data.size()));
  }

  // The entries must tile [0, data size): sorted by begin, each starts where the last ended.
  std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
    return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
  });
  std::uint64_t pos = 0;
  const Entry* prev = nullptr;
  for (const Entry& e : entries) {
    if (e.begin < pos)
      fail("tensors " + qs(prev->name) + " and " + qs(e.name) + " overlap");
    if (e.begin > pos)
      fail("gap of " + std::to_string(e.begin - pos) + " bytes before tensor " + qs(e.name));
    pos = e.end;
    prev = &e;
  }
  if (pos != data.size())
    fail(std::to_string(data.size() - pos) + " trailing bytes are not covered by any tensor");

  out.tensors.reserve(entries.size());
  for (Entry& e : entries) {
    Tensor t;
    t.name = std::move(e.name);
    t.shape = std::move(e.shape);
    t.data.resize((e.end - e.begin) / 4);
    if (!t.data.empty()) std::memcpy(t.data.data(), data.data() + e.begin, e.end - e.begin);
    out.tensors.push_back(std::move(t));
  }
  return out;
}

std::string write_safetensors(const TensorFile& file) {
  using out_json = nlohmann::json;  // writing happens in tools, outside Redis
  out_json h = out_json::object();
  if (!file.metadata.empty()) {
    out_json m = out_json::object();
    for (const auto& kv : file.metadata) {
      if (m.contains(kv.first)) fail("duplicate metadata key " + qs(kv.first));
      m[kv.first] = kv.second;
    }
    h["__metadata__"] = std::move(m);
  }
  std::uint64_t pos = 0;
  for (const Tensor& t : file.tensors) {
    if (t.name == "__metadata__") fail("a tensor cannot be named __metadata__");
    if (h.contains(t.name)) fail("duplicate tensor name " + qs(t.name));
    if (t.shape.size() > kMaxTensorRank) fail("tensor " + qs(t.name) + " has too high a rank");
    std::uint64_t count = 1;
    for (std::uint64_t d : t.shape) count *= d;
    if (count != t.data.size())
      fail("tensor " + qs(t.name) + " has " + std::to_string(t.data.size()) +
           " values but its shape needs " + std::to_string(count));
    const std::uint64_t end = pos + count * 4;
    h[t.name] = {{"dtype", "F32"}, {"shape", t.shape}, {"data_offsets", {pos, end}}};
    pos = end;
  }
  std::string header = h.dump();
  header.append((8 - header.size() % 8) % 8, ' ');
  std::string out;
  out.reserve(8 + header.size() + pos);
  const std::uint64_t n = header.size();
  for (int b = 0; b < 8; ++b) out.push_back(static_cast<char>(n >> (8 * b)));
  out += header;
  for (const Tensor& t : file.tensors)
    out.append(reinterpret_cast<const char*>(t.data.data()), t.data.size() * 4);
  return out;
}

}  // namespace reco
