// Factor table files (see factor_files.hpp).
#include "reco_offline/factor_files.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <unordered_set>

#include "reco_offline/npy.hpp"
#include "reco_offline/text_input.hpp"

namespace reco_offline {

namespace {

std::string extension_of(const std::string& path) {
  std::string ext = std::filesystem::path(path).extension().string();
  for (auto& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return ext;
}

void check_table(const FactorTable& t, const std::string& path) {
  if (static_cast<size_t>(t.vectors.rows()) != t.ids.size()) {
    throw DataError(path + ": " + std::to_string(t.ids.size()) + " ids for " + std::to_string(t.vectors.rows()) +
                    " vectors");
  }
  std::unordered_set<std::string> seen;
  seen.reserve(t.ids.size() * 2);
  for (const auto& id : t.ids) {
    if (id.empty()) throw DataError(path + ": empty id");
    if (!seen.insert(id).second) throw DataError(path + ": id \"" + id + "\" appears twice");
  }
}

FactorTable read_delimited(const std::string& path, char delim) {
  const std::string text = read_whole_file(path);
  LineCursor cursor(text);
  LineContext ctx{path, 0, {}};
  std::string_view line;
  std::vector<std::string_view> f;
  const std::string delim_str(1, delim);
  std::vector<float> values;
  FactorTable table;
  size_t dim = 0;
  bool first = true;
  while (cursor.next(line)) {
    ctx.line = cursor.line_number();
    ctx.text = line;
    if (trim(line).empty()) continue;
    split_fields(line, delim_str, f);
    if (f.size() < 2) ctx.fail("expected an id and at least one value separated by '" + delim_str + "'");
    if (first) {
      first = false;
      size_t numeric = 0;
      double v;
      for (size_t k = 1; k < f.size(); ++k) numeric += parse_double(f[k], v) ? 1 : 0;
      // A header: no numeric column names, or (as pandas writes it) an empty first cell.
      if (numeric == 0 || trim(f[0]).empty()) {
        dim = f.size() - 1;
        continue;
      }
    }
    if (dim == 0) dim = f.size() - 1;
    if (f.size() - 1 != dim) {
      ctx.fail("expected " + std::to_string(dim) + " values, got " + std::to_string(f.size() - 1));
    }
    table.ids.emplace_back(trim(f[0]));
    for (size_t k = 1; k < f.size(); ++k) values.push_back(static_cast<float>(ctx.to_double(f[k], "vector value")));
  }
  if (table.ids.empty()) throw DataError(path + ": no vectors");
  table.vectors = Eigen::Map<FactorMatrix>(values.data(), static_cast<Eigen::Index>(table.ids.size()),
                                           static_cast<Eigen::Index>(dim));
  return table;
}

void write_delimited(const FactorTable& t, const std::string& path, char delim) {
  FILE* out = std::fopen(path.c_str(), "wb");
  if (!out) throw DataError(path + ": cannot open for writing");
  std::string line = "id";
  for (Eigen::Index c = 0; c < t.vectors.cols(); ++c) line += delim + ("f" + std::to_string(c));
  line.push_back('\n');
  std::fwrite(line.data(), 1, line.size(), out);
  char buf[32];
  for (size_t r = 0; r < t.ids.size(); ++r) {
    const std::string& id = t.ids[r];
    if (id.find(delim) != std::string::npos || id.find('\n') != std::string::npos) {
      std::fclose(out);
      throw DataError(path + ": id \"" + id + "\" contains the delimiter or a newline");
    }
    line = id;
    for (Eigen::Index c = 0; c < t.vectors.cols(); ++c) {
      line.push_back(delim);
      const auto res = std::to_chars(buf, buf + sizeof buf, t.vectors(static_cast<Eigen::Index>(r), c));
      line.append(buf, res.ptr);
    }
    line.push_back('\n');
    std::fwrite(line.data(), 1, line.size(), out);
  }
  const bool bad = std::ferror(out) != 0;
  if (std::fclose(out) != 0 || bad) throw DataError(path + ": write failed");
}

FactorTable trained_rows(const std::vector<Id>& ids, const FactorMatrix& m, const std::vector<uint32_t>& counts) {
  FactorTable t;
  std::vector<Eigen::Index> rows;
  for (size_t r = 0; r < ids.size(); ++r) {
    if (counts[r] == 0) continue;
    t.ids.push_back(std::to_string(ids[r]));
    rows.push_back(static_cast<Eigen::Index>(r));
  }
  t.vectors.resize(static_cast<Eigen::Index>(rows.size()), m.cols());
  for (size_t k = 0; k < rows.size(); ++k) t.vectors.row(static_cast<Eigen::Index>(k)) = m.row(rows[k]);
  return t;
}

}  // namespace

FactorFormat factor_format_of(const std::string& path) {
  const std::string ext = extension_of(path);
  if (ext == ".npy") return FactorFormat::Npy;
  if (ext == ".csv") return FactorFormat::Csv;
  if (ext == ".tsv" || ext == ".tab") return FactorFormat::Tsv;
  throw DataError(path + ": unknown factor file type (expected .npy, .csv or .tsv)");
}

const char* factor_format_name(FactorFormat format) {
  switch (format) {
    case FactorFormat::Npy: return "npy";
    case FactorFormat::Csv: return "csv";
    case FactorFormat::Tsv: return "tsv";
  }
  return "?";
}

std::vector<std::string> read_id_list(const std::string& path) {
  if (extension_of(path) == ".npy") return read_npy_ids(path);
  const std::string text = read_whole_file(path);
  LineCursor cursor(text);
  std::string_view line;
  std::vector<std::string> ids;
  while (cursor.next(line)) {
    const auto id = trim(line);
    if (id.empty()) {
      // Only trailing blank lines are harmless; a blank in the middle shifts every later id.
      std::string_view rest;
      LineCursor probe = cursor;
      while (probe.next(rest)) {
        if (!trim(rest).empty()) {
          LineContext{path, cursor.line_number(), line}.fail("blank line inside the id list");
        }
      }
      break;
    }
    ids.emplace_back(id);
  }
  return ids;
}

void write_id_list(const std::string& path, const std::vector<std::string>& ids) {
  if (extension_of(path) == ".npy") return write_npy_ids(path, ids);
  FILE* out = std::fopen(path.c_str(), "wb");
  if (!out) throw DataError(path + ": cannot open for writing");
  for (const auto& id : ids) {
    if (id.find('\n') != std::string::npos) {
      std::fclose(out);
      throw DataError(path + ": id contains a newline");
    }
    std::fputs(id.c_str(), out);
    std::fputc('\n', out);
  }
  const bool bad = std::ferror(out) != 0;
  if (std::fclose(out) != 0 || bad) throw DataError(path + ": write failed");
}

void write_factors(const FactorTable& t, const std::string& path, const std::string& ids_path) {
  check_table(t, path);
  switch (factor_format_of(path)) {
    case FactorFormat::Npy:
      if (ids_path.empty()) throw DataError(path + ": a .npy factor file needs an id list file");
      write_npy(path, t.vectors);
      write_id_list(ids_path, t.ids);
      break;
    case FactorFormat::Csv: write_delimited(t, path, ','); break;
    case FactorFormat::Tsv: write_delimited(t, path, '\t'); break;
  }
}

FactorTable read_factors(const std::string& path, const std::string& ids_path) {
  FactorTable t;
  switch (factor_format_of(path)) {
    case FactorFormat::Npy:
      if (ids_path.empty()) throw DataError(path + ": a .npy factor file needs an id list file");
      t.vectors = read_npy_matrix(path);
      t.ids = read_id_list(ids_path);
      if (t.ids.size() != static_cast<size_t>(t.vectors.rows())) {
        throw DataError(ids_path + ": " + std::to_string(t.ids.size()) + " ids for the " +
                        std::to_string(t.vectors.rows()) + " rows of " + path);
      }
      break;
    case FactorFormat::Csv: t = read_delimited(path, ','); break;
    case FactorFormat::Tsv: t = read_delimited(path, '\t'); break;
  }
  check_table(t, path);
  if (t.vectors.cols() < 1 || t.vectors.cols() > 4096) {
    throw DataError(path + ": dimension " + std::to_string(t.vectors.cols()) + " outside 1..4096");
  }
  return t;
}

FactorTable user_factors(const MfModel& model) {
  return trained_rows(model.user_ids, model.users, model.user_train_count);
}
FactorTable item_factors(const MfModel& model) {
  return trained_rows(model.item_ids, model.items, model.item_train_count);
}

}  // namespace reco_offline

namespace reco_offline {

FactorFileSet find_factor_files(const std::string& dir, const std::string& kind) {
  namespace fs = std::filesystem;
  const fs::path base(dir);
  const fs::path npy = base / (kind + "_factors.npy");
  if (fs::exists(npy)) {
    fs::path ids = base / (kind + "_ids.txt");
    if (!fs::exists(ids) && fs::exists(base / (kind + "_ids.npy"))) ids = base / (kind + "_ids.npy");
    return {npy.string(), ids.string()};
  }
  for (const char* ext : {".csv", ".tsv"}) {
    const fs::path p = base / (kind + "_factors" + ext);
    if (fs::exists(p)) return {p.string(), {}};
  }
  return {};
}

}  // namespace reco_offline
