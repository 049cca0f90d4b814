// .npy reading and writing (see npy.hpp). The header is a Python dict literal;
// we parse just the three keys the format defines instead of a general
// literal parser, and reject anything we do not understand with a clear error.
#include "reco_offline/npy.hpp"

#include <bit>
#include <cmath>
#include <cstring>
#include <fstream>
#include <stdexcept>

#include "reco_offline/text_input.hpp"

namespace reco_offline {

namespace {

struct NpyHeader {
  char byte_order = '<';  // '<', '>' or '|'
  char kind = 'f';        // f, i, u, S, U
  size_t item_size = 4;  // from the dtype: bytes, or code points for 'U'
  size_t width = 4;      // bytes per element
  bool fortran = false;
  std::vector<size_t> shape;
  size_t data_offset = 0;
};

[[noreturn]] void npy_fail(const std::string& path, const std::string& what) {
  throw DataError(path + ": not a readable .npy file: " + what);
}

std::string header_value(const std::string& header, const std::string& key, const std::string& path) {
  const size_t at = header.find("'" + key + "'");
  if (at == std::string::npos) npy_fail(path, "header has no '" + key + "'");
  size_t colon = header.find(':', at);
  if (colon == std::string::npos) npy_fail(path, "malformed header");
  size_t start = colon + 1;
  while (start < header.size() && header[start] == ' ') ++start;
  if (start >= header.size()) npy_fail(path, "malformed header");
  size_t end;
  if (header[start] == '\'') {
    end = header.find('\'', start + 1);
    if (end == std::string::npos) npy_fail(path, "malformed header");
    return header.substr(start + 1, end - start - 1);
  }
  if (header[start] == '(') {
    end = header.find(')', start);
    if (end == std::string::npos) npy_fail(path, "malformed header");
    return header.substr(start, end - start + 1);
  }
  end = start;
  while (end < header.size() && header[end] != ',' && header[end] != '}') ++end;
  return std::string(trim(std::string_view(header).substr(start, end - start)));
}

NpyHeader parse_header(const std::string& data, const std::string& path) {
  if (data.size() < 10 || std::memcmp(data.data(), "\x93NUMPY", 6) != 0) npy_fail(path, "bad magic");
  const auto major = static_cast<unsigned char>(data[6]);
  size_t header_len, header_start;
  if (major == 1) {
    header_len = static_cast<unsigned char>(data[8]) | (static_cast<unsigned char>(data[9]) << 8);
    header_start = 10;
  } else if (major == 2 || major == 3) {
    if (data.size() < 12) npy_fail(path, "truncated header");
    header_len = 0;
    for (int b = 3; b >= 0; --b) header_len = (header_len << 8) | static_cast<unsigned char>(data[8 + b]);
    header_start = 12;
  } else {
    npy_fail(path, "unsupported version " + std::to_string(major));
  }
  if (header_start + header_len > data.size()) npy_fail(path, "truncated header");
  const std::string header = data.substr(header_start, header_len);
  NpyHeader h;
  h.data_offset = header_start + header_len;

  const std::string descr = header_value(header, "descr", path);
  if (descr.size() < 3) npy_fail(path, "unsupported dtype '" + descr + "'");
  h.byte_order = descr[0];
  h.kind = descr[1];
  int64_t size = 0;
  if (!parse_int(descr.substr(2), size) || size <= 0) npy_fail(path, "unsupported dtype '" + descr + "'");
  h.item_size = static_cast<size_t>(size);
  h.width = h.kind == 'U' ? 4 * h.item_size : h.item_size;
  if (h.byte_order == '=') h.byte_order = '<';  // native on every machine we build for
  if (h.byte_order != '<' && h.byte_order != '>' && h.byte_order != '|') npy_fail(path, "unsupported dtype '" + descr + "'");

  const std::string fortran = header_value(header, "fortran_order", path);
  if (fortran == "True") h.fortran = true;
  else if (fortran == "False") h.fortran = false;
  else npy_fail(path, "bad fortran_order '" + fortran + "'");

  const std::string shape = header_value(header, "shape", path);
  if (shape.empty() || shape.front() != '(') npy_fail(path, "bad shape '" + shape + "'");
  std::vector<std::string_view> parts;
  split_fields(std::string_view(shape).substr(1, shape.size() - 2), ",", parts);
  for (auto p : parts) {
    p = trim(p);
    if (p.empty()) continue;
    int64_t v = 0;
    if (!parse_int(p, v) || v < 0) npy_fail(path, "bad shape '" + shape + "'");
    h.shape.push_back(static_cast<size_t>(v));
  }
  return h;
}

size_t element_count(const NpyHeader& h) {
  size_t n = 1;
  for (size_t s : h.shape) n *= s;
  return n;
}

template <class T>
T load_scalar(const char* p, bool swap) {
  unsigned char bytes[sizeof(T)];
  std::memcpy(bytes, p, sizeof(T));
  if (swap) {
    for (size_t i = 0; i < sizeof(T) / 2; ++i) std::swap(bytes[i], bytes[sizeof(T) - 1 - i]);
  }
  T v;
  std::memcpy(&v, bytes, sizeof(T));
  return v;
}

bool needs_swap(char order) { return order == '>'; }

void write_header(std::ofstream& out, const std::string& descr, const std::string& shape) {
  std::string header = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + shape + ", }";
  const size_t unpadded = 10 + header.size() + 1;
  header.append((64 - unpadded % 64) % 64, ' ');
  header.push_back('\n');
  const auto len = static_cast<uint16_t>(header.size());
  out.write("\x93NUMPY\x01\x00", 8);
  const char len_bytes[2] = {static_cast<char>(len & 0xff), static_cast<char>(len >> 8)};
  out.write(len_bytes, 2);
  out.write(header.data(), static_cast<std::streamsize>(header.size()));
}

void finish(std::ofstream& out, const std::string& path) {
  out.flush();
  if (!out) throw DataError(path + ": write failed");
}

}  // namespace

void write_npy(const std::string& path, const FactorMatrix& m) {
  static_assert(std::endian::native == std::endian::little, "npy writer assumes a little-endian host");
  std::ofstream out(path, std::ios::binary);
  if (!out) throw DataError(path + ": cannot open for writing");
  write_header(out, "<f4", "(" + std::to_string(m.rows()) + ", " + std::to_string(m.cols()) + ")");
  out.write(reinterpret_cast<const char*>(m.data()), static_cast<std::streamsize>(m.size() * sizeof(float)));
  finish(out, path);
}

FactorMatrix read_npy_matrix(const std::string& path) {
  const std::string data = read_whole_file(path);
  const NpyHeader h = parse_header(data, path);
  if (h.shape.size() != 2) npy_fail(path, "expected a 2-D matrix, got " + std::to_string(h.shape.size()) + " dimensions");
  if (h.kind != 'f' || (h.item_size != 4 && h.item_size != 8 && h.item_size != 2)) {
    npy_fail(path, "expected float16/32/64 values");
  }
  const size_t rows = h.shape[0], cols = h.shape[1];
  if (data.size() - h.data_offset < element_count(h) * h.item_size) npy_fail(path, "data shorter than its shape");
  FactorMatrix m(static_cast<Eigen::Index>(rows), static_cast<Eigen::Index>(cols));
  const bool swap = needs_swap(h.byte_order);
  const char* p = data.data() + h.data_offset;
  for (size_t k = 0; k < rows * cols; ++k, p += h.item_size) {
    float v;
    if (h.item_size == 4) {
      v = load_scalar<float>(p, swap);
    } else if (h.item_size == 8) {
      v = static_cast<float>(load_scalar<double>(p, swap));
    } else {
      // IEEE half: 1 sign, 5 exponent, 10 mantissa bits.
      const auto bits = load_scalar<uint16_t>(p, swap);
      const int sign = bits >> 15, exp = (bits >> 10) & 0x1f, mant = bits & 0x3ff;
      double x = exp == 0 ? std::ldexp(mant, -24) : exp == 31 ? (mant ? NAN : INFINITY) : std::ldexp(mant + 1024, exp - 25);
      v = static_cast<float>(sign ? -x : x);
    }
    if (!std::isfinite(v)) npy_fail(path, "value " + std::to_string(k) + " is not finite");
    const size_t r = h.fortran ? k % rows : k / cols;
    const size_t c = h.fortran ? k / rows : k % cols;
    m(static_cast<Eigen::Index>(r), static_cast<Eigen::Index>(c)) = v;
  }
  return m;
}

std::vector<std::string> read_npy_ids(const std::string& path) {
  const std::string data = read_whole_file(path);
  const NpyHeader h = parse_header(data, path);
  if (h.shape.size() != 1) npy_fail(path, "expected a 1-D id array");
  const size_t n = h.shape[0];
  if (data.size() - h.data_offset < n * h.width) npy_fail(path, "data shorter than its shape");
  const bool swap = needs_swap(h.byte_order);
  const char* p = data.data() + h.data_offset;
  std::vector<std::string> ids;
  ids.reserve(n);
  for (size_t k = 0; k < n; ++k, p += h.width) {
    if (h.kind == 'i' || h.kind == 'u') {
      int64_t v = 0;
      switch (h.item_size) {
        case 1: v = h.kind == 'i' ? int64_t(int8_t(*p)) : int64_t(uint8_t(*p)); break;
        case 2: v = h.kind == 'i' ? int64_t(load_scalar<int16_t>(p, swap)) : int64_t(load_scalar<uint16_t>(p, swap)); break;
        case 4: v = h.kind == 'i' ? int64_t(load_scalar<int32_t>(p, swap)) : int64_t(load_scalar<uint32_t>(p, swap)); break;
        case 8:
          if (h.kind == 'u') {
            ids.push_back(std::to_string(load_scalar<uint64_t>(p, swap)));
            continue;
          }
          v = load_scalar<int64_t>(p, swap);
          break;
        default: npy_fail(path, "unsupported integer size");
      }
      ids.push_back(std::to_string(v));
    } else if (h.kind == 'S') {
      std::string s(p, h.item_size);
      s.resize(std::strlen(s.c_str()));
      ids.push_back(s);
    } else if (h.kind == 'U') {
      // item_size counts UCS-4 code points; encode them as UTF-8.
      std::string s;
      for (size_t c = 0; c < h.item_size; ++c) {
        const auto cp = load_scalar<uint32_t>(p + 4 * c, swap);
        if (cp == 0) break;
        if (cp < 0x80) s.push_back(static_cast<char>(cp));
        else if (cp < 0x800) s += {static_cast<char>(0xc0 | (cp >> 6)), static_cast<char>(0x80 | (cp & 0x3f))};
        else if (cp < 0x10000) s += {static_cast<char>(0xe0 | (cp >> 12)), static_cast<char>(0x80 | ((cp >> 6) & 0x3f)), static_cast<char>(0x80 | (cp & 0x3f))};
        else s += {static_cast<char>(0xf0 | (cp >> 18)), static_cast<char>(0x80 | ((cp >> 12) & 0x3f)), static_cast<char>(0x80 | ((cp >> 6) & 0x3f)), static_cast<char>(0x80 | (cp & 0x3f))};
      }
      ids.push_back(s);
    } else {
      npy_fail(path, "ids must be integers or strings");
    }
  }
  return ids;
}

void write_npy_ids(const std::string& path, const std::vector<std::string>& ids) {
  bool all_int = true;
  for (const auto& id : ids) {
    int64_t v;
    if (!parse_int(id, v) || std::to_string(v) != id) {
      all_int = false;
      break;
    }
  }
  std::ofstream out(path, std::ios::binary);
  if (!out) throw DataError(path + ": cannot open for writing");
  const std::string shape = "(" + std::to_string(ids.size()) + ",)";
  if (all_int) {
    write_header(out, "<i8", shape);
    for (const auto& id : ids) {
      int64_t v = 0;
      parse_int(id, v);
      out.write(reinterpret_cast<const char*>(&v), sizeof v);
    }
  } else {
    // Raw bytes as '|S': exact for any id, and numpy reads it as bytes.
    size_t width = 1;
    for (const auto& id : ids) width = std::max(width, id.size());
    write_header(out, "|S" + std::to_string(width), shape);
    std::string cell(width, '\0');
    for (const auto& id : ids) {
      std::fill(cell.begin(), cell.end(), '\0');
      std::memcpy(cell.data(), id.data(), id.size());
      out.write(cell.data(), static_cast<std::streamsize>(width));
    }
  }
  finish(out, path);
}

}  // namespace reco_offline
