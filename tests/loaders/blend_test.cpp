// The catalog blend (reco/blend.hpp): the parameter table accepts what it documents
// and rejects the rest without changing anything; settings survive save/load and
// blend.json; a popularity term reorders what recommend() serves; per-request
// arguments reproduce a blend.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>

#include "reco/blend.hpp"
#include "reco/codec.hpp"
#include "reco/error.hpp"
#include "reco/recommender.hpp"
#include "reco_offline/blend_fit.hpp"
#include "reco_offline/text_input.hpp"
#include "temp_dir.hpp"

using reco::BlendConfig;
using reco::Source;

TEST(Blend, SetsByCaseInsensitiveName) {
  BlendConfig c;
  std::string why;
  EXPECT_TRUE(reco::set_blend_param(c, "weight.term", 0.25, &why)) << why;
  EXPECT_EQ(c.source(Source::Term).weight, 0.25);
  EXPECT_TRUE(reco::set_blend_param(c, "BUDGET.Vector", 300, &why)) << why;
  EXPECT_EQ(c.source(Source::Vector).budget, 300u);
  EXPECT_TRUE(reco::set_blend_param(c, "POPULARITY", 0.5, &why));
  EXPECT_EQ(c.popularity, 0.5);
  EXPECT_TRUE(reco::set_blend_param(c, "recency.halflife", 30, &why));
  EXPECT_EQ(c.recency_halflife_days, 30);
  EXPECT_TRUE(reco::set_blend_param(c, "BUDGET.POPULAR", 40, &why));
  EXPECT_EQ(reco::resolve_sources(c, 10)[3].budget, 40u);
  EXPECT_TRUE(reco::set_blend_param(c, "BUDGET.POPULAR", -1, &why));
  EXPECT_EQ(reco::resolve_sources(c, 10)[3].budget, 10u);
  EXPECT_EQ(reco::blend_param(c, "budget.popular"), -1.0);
  EXPECT_FALSE(reco::blend_param(c, "nope").has_value());
}

TEST(Blend, RejectsBadValuesAndChangesNothing) {
  BlendConfig c;
  const BlendConfig before = c;
  const double nan = std::numeric_limits<double>::quiet_NaN(), inf = std::numeric_limits<double>::infinity();
  struct Case {
    const char* name;
    double value;
  };
  for (const Case& k : {Case{"WEIGHT.VECTOR", nan}, Case{"WEIGHT.VECTOR", -0.1}, Case{"WEIGHT.TERM", inf},
                        Case{"WEIGHT.POPULAR", 2e6}, Case{"BUDGET.VECTOR", -1}, Case{"BUDGET.TERM", 1.5},
                        Case{"BUDGET.SESSION", 1e9}, Case{"POPULARITY", -1}, Case{"RECENCY.HALFLIFE", -2},
                        Case{"RECENCY.HALFLIFE", nan}, Case{"WEIGHT", 1}, Case{"", 1}, Case{"WEIGHT.VECTORS", 1}}) {
    std::string why;
    EXPECT_FALSE(reco::set_blend_param(c, k.name, k.value, &why)) << k.name << " " << k.value;
    EXPECT_FALSE(why.empty()) << k.name;
    EXPECT_EQ(c, before) << k.name;
  }
}

TEST(Blend, ListsEveryParameterAndRoundTrips) {
  BlendConfig c;
  reco::set_blend_param(c, "WEIGHT.POPULAR", 0.3);
  reco::set_blend_param(c, "BUDGET.TERM", 0);
  reco::set_blend_param(c, "POPULARITY", 0.2);
  reco::set_blend_param(c, "RECENCY.HALFLIFE", 90);
  const auto params = reco::blend_params(c);
  EXPECT_EQ(params.size(), 10u);
  BlendConfig copy;
  for (const auto& [name, value] : params) ASSERT_TRUE(reco::set_blend_param(copy, name, value)) << name;
  EXPECT_EQ(copy, c);

  reco::BufferSink sink;
  reco::save_blend(c, sink);
  reco::BufferSource source(sink.bytes());
  EXPECT_EQ(reco::load_blend(source), c);
  // Truncated input is an error, never a partial config.
  for (size_t cut = 0; cut < sink.bytes().size(); cut += 7) {
    reco::BufferSource part(std::string_view(sink.bytes()).substr(0, cut));
    EXPECT_THROW(reco::load_blend(part), reco::Error) << cut;
  }
}

TEST(Blend, PersistedBadValueIsRefused) {
  reco::BufferSink sink;
  sink.put_u64(1);
  sink.put_u64(1);
  sink.put_bytes("WEIGHT.TERM");
  sink.put_double(-3);
  reco::BufferSource source(sink.bytes());
  EXPECT_THROW(reco::load_blend(source), reco::Error);
  reco::BufferSink future;
  future.put_u64(99);
  reco::BufferSource fs(future.bytes());
  EXPECT_THROW(reco::load_blend(fs), reco::Error);
}

TEST(Blend, PopularityTermFormula) {
  BlendConfig c;
  EXPECT_EQ(reco::popularity_term(c, 100, 1000, 0, 0), 0.0);  // off by default
  c.popularity = 2;
  EXPECT_DOUBLE_EQ(reco::popularity_term(c, 1000, 1000, 0, 0), 2.0);
  EXPECT_DOUBLE_EQ(reco::popularity_term(c, 99, 9999, 0, 0), 2.0 * std::log(100.0) / std::log(10000.0));
  c.recency_halflife_days = 10;
  EXPECT_DOUBLE_EQ(reco::popularity_term(c, 1000, 1000, 0, 10 * 86400), 1.0);
  EXPECT_DOUBLE_EQ(reco::popularity_term(c, 1000, 1000, 20 * 86400, 20 * 86400), 2.0);
}

TEST(Blend, PopularityTermReordersServedList) {
  reco::Catalog cat("t", 2, reco::Metric::InnerProduct);
  // "near" is the user's best vector match but unpopular; "hit" is slightly worse and very popular.
  const auto put = [&](const char* id, float x, double pop) {
    reco::ItemUpdate u;
    u.vector = std::vector<float>{x, 0};
    u.popularity = pop;
    cat.upsert(id, u);
  };
  put("near", 1.0f, 1);
  put("hit", 0.9f, 10000);
  put("far", 0.1f, 10);
  reco::UserProfile user;
  user.vector.assign({1.0f, 0.0f});
  reco::RecommendRequest req;
  req.k = 3;
  BlendConfig c;
  reco::set_blend_param(c, "BUDGET.POPULAR", 0);
  req.use_blend(c);
  auto r = reco::recommend(cat, &user, req);
  ASSERT_EQ(r.items.size(), 3u);
  EXPECT_EQ(cat.item(r.items[0].id).id, "near");
  reco::set_blend_param(c, "POPULARITY", 1.0);
  req.use_blend(c);
  r = reco::recommend(cat, &user, req);
  EXPECT_EQ(cat.item(r.items[0].id).id, "hit");
}

TEST(Blend, RequestArgsAndJsonReproduceTheBlend) {
  BlendConfig c;
  reco::set_blend_param(c, "WEIGHT.TERM", 0.1);
  reco::set_blend_param(c, "BUDGET.VECTOR", 250);
  std::vector<std::string> missing;
  const auto args = reco_offline::blend_request_args(c, &missing);
  EXPECT_TRUE(missing.empty());
  // Replaying the arguments onto the defaults gives the blend back.
  BlendConfig replay;
  for (size_t i = 0; i + 2 < args.size() + 1; i += 3) {
    ASSERT_TRUE(args[i] == "BUDGET" || args[i] == "WEIGHT");
    ASSERT_TRUE(reco::set_blend_param(replay, args[i] + "." + args[i + 1], std::stod(args[i + 2]))) << args[i];
  }
  EXPECT_EQ(replay, c);
  reco::set_blend_param(c, "POPULARITY", 0.5);
  reco_offline::blend_request_args(c, &missing);
  EXPECT_EQ(missing, std::vector<std::string>{"POPULARITY"});

  reco_offline::test::TempDir dir;
  const std::string path = (std::filesystem::path(dir.path()) / "blend.json").string();
  reco_offline::write_blend_json(path, c, R"({"note": 1})");
  EXPECT_EQ(reco_offline::read_blend_json(path), c);
  std::ofstream(path) << R"({"params": {"WEIGHT.TERM": -1}})";
  EXPECT_THROW(reco_offline::read_blend_json(path), reco_offline::DataError);
  std::ofstream(path) << "not json";
  EXPECT_THROW(reco_offline::read_blend_json(path), reco_offline::DataError);
}
