// Shared setup of the live loader tests: one redis-server with reco.so for the
// suite, and a small generated-prepared-trained data set in a temp dir.
#pragma once

#include <gtest/gtest.h>

#include "reco_offline/factor_files.hpp"
#include "reco_offline/prepare.hpp"
#include "reco_offline/synthetic.hpp"
#include "redis_server.hpp"
#include "temp_dir.hpp"

namespace reco_offline::test {

struct LiveData {
  Prepared prepared;
  FactorTable users, items;

  static LiveData make(uint32_t n_users, uint32_t n_items, uint64_t n_ratings) {
    SyntheticConfig c;
    c.users = n_users;
    c.items = n_items;
    c.ratings = n_ratings;
    c.seed = 11;
    LiveData d;
    d.prepared = prepare(generate_synthetic(c), PrepareConfig{});
    MfConfig m;
    m.dim = 8;
    m.epochs = 3;
    const MfModel model = train_mf(d.prepared.split.train, d.prepared.split.test, m);
    d.users = user_factors(model);
    d.items = item_factors(model);
    return d;
  }
};

inline std::vector<float> floats_of(const reco::test::Reply& r) {
  std::vector<float> out;
  for (const auto& e : r.elements) out.push_back(std::stof(e.str));
  return out;
}

}  // namespace reco_offline::test
