// Writes the binary seed corpora of the fuzz targets from the engine's own encoders, so the
// fuzzers start from valid payloads (every decoder branch reachable by small mutations)
// rather than from noise: `fuzz_seeds <dir>` writes <dir>/<target>/seed-*. The text seeds
// (loaders' files, argument lists) are plain files committed as written.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>

#include "model_fixture.hpp"
#include "reco_offline/factor_files.hpp"
#include "reco_offline/npy.hpp"
#include "reco_offline/records.hpp"
#include "reco/codec.hpp"
#include "reco/model_items.hpp"
#include "reco/model_set.hpp"

namespace {

std::string slurp(const std::filesystem::path& p) {
  std::ifstream f(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

void write(const std::filesystem::path& dir, const std::string& name, const std::string& bytes) {
  std::filesystem::create_directories(dir);
  std::ofstream(dir / name, std::ios::binary | std::ios::trunc) << bytes;
}

std::unique_ptr<reco::Catalog> catalog(reco::IndexKind kind, std::uint32_t n, bool with_model) {
  reco::IndexConfig ix;
  ix.kind = kind;
  ix.exact_below = 0;
  ix.m = 4;
  ix.ef_construction = 8;
  auto c = std::make_unique<reco::Catalog>("films", 3, reco::Metric::Cosine, ix);
  std::mt19937_64 rng(7);
  for (std::uint32_t i = 0; i < n; ++i) {
    reco::ItemUpdate u;
    if (i % 5 != 3) u.vector = std::vector<float>{float(rng() % 7) - 3, float(i % 3) + 0.5f, 1.0f};
    if (i % 2) u.terms = std::vector<std::string>{"Drama", "g" + std::to_string(i % 3)};
    u.popularity = double(i % 4);
    u.time = 1600000000 + i;
    if (i % 3 == 0) u.features = std::vector<std::pair<std::string, std::string>>{{"year", "1990"}};
    c->upsert(std::to_string(1 + i), u);
  }
  c->erase("2");
  if (with_model) {
    c->models().put("v1", reco_model_test::model_file(reco_model_test::small_spec(), 3),
                    reco::CatalogItems(*c));
    c->models().activate("v1");
  }
  return c;
}

std::string saved(const reco::Catalog& c) {
  reco::BufferSink s;
  reco::save_catalog(c, s);
  return s.bytes();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: fuzz_seeds <corpus dir>\n");
    return 2;
  }
  const std::filesystem::path root = argv[1];
  // catalog_fuzz: byte 0 = 2 selects encoding 3 (1 selected encoding 2: the committed
  // seed-flat/-hnsw/-model/-empty were written so, and keep the older decoder fuzzed until
  // this is run again).
  write(root / "catalog_fuzz", "seed-flat", "\x02" + saved(*catalog(reco::IndexKind::Flat, 9, false)));
  write(root / "catalog_fuzz", "seed-hnsw", "\x02" + saved(*catalog(reco::IndexKind::Hnsw, 12, false)));
  write(root / "catalog_fuzz", "seed-model", "\x02" + saved(*catalog(reco::IndexKind::Flat, 6, true)));
  write(root / "catalog_fuzz", "seed-empty", "\x02" + saved(*catalog(reco::IndexKind::Auto, 0, false)));
  {
    auto biased = catalog(reco::IndexKind::Hnsw, 12, false);
    biased->set_bias_dim(2);
    write(root / "catalog_fuzz", "seed-bias", "\x02" + saved(*biased));
  }

  reco::UserProfile u;
  u.vector.assign({0.5f, -1.0f, 2.0f});
  u.terms.push_back({reco::to_string("Drama"), 3.0f});
  u.features.push_back({reco::to_string("gender"), reco::to_string("F")});
  const std::uint64_t fps[] = {1, 99, 12345678901234ull};
  u.seen.add(fps);
  reco::BufferSink us;
  reco::save_user(u, us);
  write(root / "user_fuzz", "seed-user", us.bytes());
  reco::BufferSink empty;
  reco::save_user(reco::UserProfile{}, empty);
  write(root / "user_fuzz", "seed-empty", empty.bytes());

  const std::string model = reco_model_test::model_file(reco_model_test::small_spec(), 3);
  write(root / "model_fuzz", "seed-model", std::string("\x00", 1) + model);
  write(root / "model_fuzz", "seed-safetensors", "\x01" + model);
  write(root / "model_fuzz", "seed-schema", "\x02" + reco_model_test::schema_json(reco_model_test::small_spec()));

  // The loaders' files, as their own writers produce them (byte 0 picks the reader).
  const std::filesystem::path tmp = std::filesystem::temp_directory_path() / "reco-fuzz-seeds";
  std::filesystem::create_directories(tmp);
  reco_offline::FactorTable t;
  t.ids = {"7", "a b", "9"};
  t.vectors.resize(3, 2);
  t.vectors << 0.5f, -1.0f, 2.0f, 1e-3f, 3.0f, 4.0f;
  reco_offline::write_npy((tmp / "m.npy").string(), t.vectors);
  reco_offline::write_npy_ids((tmp / "i.npy").string(), t.ids);
  write(root / "npy_fuzz", "seed-matrix", std::string("\x00", 1) + slurp(tmp / "m.npy"));
  write(root / "npy_fuzz", "seed-ids", "\x01" + slurp(tmp / "i.npy"));
  reco_offline::write_factors(t, (tmp / "f.csv").string());
  reco_offline::write_factors(t, (tmp / "f.tsv").string());
  write(root / "csv_fuzz", "seed-factors-csv", std::string("\x00", 1) + slurp(tmp / "f.csv"));
  write(root / "csv_fuzz", "seed-factors-tsv", "\x01" + slurp(tmp / "f.tsv"));
  reco_offline::write_items((tmp / "items.tsv").string(),
                            {{"1", "Toy Story (1995)", {"Animation", "Comedy"}, 2077, 1046000000, {{"year", "1995"}}},
                             {"2", "Caf\xc3\xa9 (1999)", {}, 0, 0, {}}});
  write(root / "csv_fuzz", "seed-items", "\x02" + slurp(tmp / "items.tsv"));
  reco_offline::write_users((tmp / "users.tsv").string(),
                            {{"42", {{"Drama", 0.25f}}, {"3", "1"}, {{"gender", "F"}}}, {"43", {}, {}, {}}});
  write(root / "csv_fuzz", "seed-users", "\x03" + slurp(tmp / "users.tsv"));
  reco_offline::write_rating_rows((tmp / "r.tsv").string(), {{1, 1, 978300760, 5}, {2, 1, 978300761, 2}},
                                  nullptr, {});
  write(root / "csv_fuzz", "seed-ratings", "\x04" + slurp(tmp / "r.tsv"));
  std::filesystem::remove_all(tmp);
  return 0;
}
