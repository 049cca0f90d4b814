// bias_dim_from_train_log (bias_dim.hpp): what reco-load tells the catalog about the bias
// dimension of the factors it loads, read from reco-train's train_log.json.
#include <gtest/gtest.h>

#include "reco_offline/bias_dim.hpp"
#include "reco_offline/text_input.hpp"
#include "temp_dir.hpp"

namespace {

using reco_offline::bias_dim_from_train_log;
using reco_offline::test::TempDir;

TEST(BiasDim, FromTheTrainingLog) {
  TempDir d;
  EXPECT_FALSE(bias_dim_from_train_log(d.path())) << "no log: nothing is assumed";
  d.write("train_log.json", R"({"objective": "next-item", "dim": 32})");
  std::string why;
  EXPECT_EQ(bias_dim_from_train_log(d.path(), &why), "LAST");
  EXPECT_NE(why.find("next-item"), std::string::npos);
  d.write("train_log.json", R"({"objective": "logistic", "popularity_prior": 0})");
  EXPECT_EQ(bias_dim_from_train_log(d.path()), "NONE");
  d.write("train_log.json", R"({"objective": "logistic", "popularity_prior": 1.5})");
  EXPECT_EQ(bias_dim_from_train_log(d.path()), "LAST");
  d.write("train_log.json", R"({"objective": "something else"})");
  EXPECT_FALSE(bias_dim_from_train_log(d.path()));
  d.write("train_log.json", "{not json");
  EXPECT_THROW(bias_dim_from_train_log(d.path()), reco_offline::DataError);
}

TEST(BiasDim, OptionValues) {
  for (const char* ok : {"auto", "LAST", "none", "0", "31"}) EXPECT_TRUE(reco_offline::valid_bias_dim_option(ok)) << ok;
  for (const char* bad : {"", "-1", "first", "1.5", "1234567890"})
    EXPECT_FALSE(reco_offline::valid_bias_dim_option(bad)) << bad;
}

}  // namespace
