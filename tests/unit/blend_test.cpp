// The blend's popularity term at the edges of its inputs: item times are whatever int64 a
// client sent, so the recency decay must not overflow (signed overflow is undefined
// behaviour; the sanitize build's UBSan fails on it) and must stay within [0, weight].
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>

#include "reco/blend.hpp"

namespace {

TEST(BlendRecency, ExtremeTimesDecayWithoutOverflow) {
  reco::BlendConfig c;
  c.popularity = 1.0;
  c.recency_halflife_days = 1.0;
  const auto lo = std::numeric_limits<std::int64_t>::min();
  const auto hi = std::numeric_limits<std::int64_t>::max();
  const double oldest = reco::popularity_term(c, 5.0, 10.0, lo, hi);
  EXPECT_TRUE(std::isfinite(oldest));
  EXPECT_EQ(oldest, 0.0);
  // An item newer than the newest known time is not decayed (age clamps at 0).
  const double future = reco::popularity_term(c, 5.0, 10.0, hi, lo);
  EXPECT_DOUBLE_EQ(future, std::log1p(5.0) / std::log1p(10.0));
  const double day = reco::popularity_term(c, 10.0, 10.0, 0, 86400);
  EXPECT_DOUBLE_EQ(day, 0.5);
}

}  // namespace
