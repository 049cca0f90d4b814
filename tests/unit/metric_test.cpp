// Metric names are part of the command grammar (METRIC IP|COSINE|L2) and of CATALOG.INFO.
#include <gtest/gtest.h>

#include "reco/metric.hpp"

namespace {

TEST(Metric, NamesRoundTrip) {
  for (auto m : {reco::Metric::InnerProduct, reco::Metric::Cosine, reco::Metric::L2}) {
    auto parsed = reco::parse_metric(reco::metric_name(m));
    ASSERT_TRUE(parsed.has_value());
    EXPECT_EQ(*parsed, m);
  }
  EXPECT_EQ(reco::metric_name(reco::Metric::InnerProduct), "IP");
  EXPECT_EQ(reco::metric_name(reco::Metric::Cosine), "COSINE");
  EXPECT_EQ(reco::metric_name(reco::Metric::L2), "L2");
}

TEST(Metric, ParseIsCaseInsensitiveAndStrict) {
  EXPECT_EQ(reco::parse_metric("ip"), reco::Metric::InnerProduct);
  EXPECT_EQ(reco::parse_metric("Cosine"), reco::Metric::Cosine);
  EXPECT_EQ(reco::parse_metric("l2"), reco::Metric::L2);
  EXPECT_FALSE(reco::parse_metric("").has_value());
  EXPECT_FALSE(reco::parse_metric("L1").has_value());
  EXPECT_FALSE(reco::parse_metric("IPX").has_value());
  EXPECT_FALSE(reco::parse_metric("COS").has_value());
  EXPECT_FALSE(reco::parse_metric(std::string_view("IP\0", 3)).has_value());
}

}  // namespace
