// Run records (see run_record.hpp).
#include "reco_offline/run_record.hpp"

#include <cstdio>
#include <fstream>
#include <stdexcept>
#include <system_error>

#define XXH_INLINE_ALL
#include <xxhash.h>

#ifndef RECO_VERSION
#define RECO_VERSION "unknown"
#endif

namespace reco_offline {

namespace {

std::string hex64(XXH64_hash_t h) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

}  // namespace

std::string file_xxh3(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + file.string());
  XXH3_state_t* st = XXH3_createState();
  if (!st) throw std::bad_alloc();
  XXH3_64bits_reset(st);
  std::vector<char> buf(1 << 20);
  while (in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    XXH3_64bits_update(st, buf.data(), static_cast<std::size_t>(in.gcount()));
  }
  const XXH64_hash_t h = XXH3_64bits_digest(st);
  XXH3_freeState(st);
  return hex64(h);
}

nlohmann::json run_record(const std::string& tool, int argc, char** argv,
                          const std::vector<std::filesystem::path>& inputs) {
  nlohmann::json command = nlohmann::json::array();
  for (int i = 0; i < argc; ++i) command.push_back(argv[i]);
  nlohmann::json files = nlohmann::json::array();
  std::string all;
  for (const auto& f : inputs) {
    const std::string h = file_xxh3(f);
    files.push_back({{"file", f.filename().string()}, {"bytes", std::filesystem::file_size(f)}, {"xxh3", h}});
    all += h;
  }
  return {{"tool", tool},
          {"version", RECO_VERSION},
          {"command", command},
          {"inputs", files},
          {"data_digest", hex64(XXH3_64bits(all.data(), all.size()))}};
}

void append_evaluation(const std::filesystem::path& record, const nlohmann::json& evaluation) {
  nlohmann::json j;
  {
    std::ifstream in(record);
    if (!in) throw std::runtime_error("cannot read the run record " + record.string());
    try {
      j = nlohmann::json::parse(in);
    } catch (const nlohmann::json::exception& e) {
      throw std::runtime_error("run record " + record.string() + " is not JSON: " + e.what());
    }
  }
  if (!j.is_object()) throw std::runtime_error("run record " + record.string() + " is not a JSON object");
  if (!j.contains("evaluations") || !j["evaluations"].is_array()) j["evaluations"] = nlohmann::json::array();
  j["evaluations"].push_back(evaluation);
  const std::filesystem::path tmp = record.string() + ".tmp";
  {
    std::ofstream out(tmp);
    out << j.dump(2) << "\n";
    if (!out) throw std::runtime_error("cannot write " + tmp.string());
  }
  std::filesystem::rename(tmp, record);
}

}  // namespace reco_offline
