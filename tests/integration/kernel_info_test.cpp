// The run-time distance kernels seen from a server: INFO reco names the kernel in use
// (reco_kernel), RECO_KERNEL in the server's environment chooses another one when the CPU
// has it, and servers running different kernels build the same graphs and answer queries
// byte for byte alike (what a cluster of mixed CPUs relies on).
#include <gtest/gtest.h>

#include <cstdlib>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "reco_data.hpp"
#include "redis_server.hpp"

namespace reco::test {
namespace {

const std::set<std::string> kNames = {"avx512", "avx2", "sse", "generic", "scalar"};

// Starts `srv` with RECO_KERNEL set to `kernel` (unset when empty) in its environment.
void start_with(RedisServer& srv, const std::string& kernel) {
  if (kernel.empty())
    unsetenv("RECO_KERNEL");
  else
    setenv("RECO_KERNEL", kernel.c_str(), 1);
  srv.start(RECO_MODULE_PATH);
  unsetenv("RECO_KERNEL");
}

std::string kernel_of(RedisServer& srv) { return srv.info("reco")["reco_kernel"]; }

TEST(KernelInfo, InfoNamesTheKernelAndTheEnvironmentChoosesOne) {
  RedisServer plain, scalar, bogus;
  start_with(plain, "");
  start_with(scalar, "scalar");
  start_with(bogus, "avx4096");
  const std::string chosen = kernel_of(plain);
  EXPECT_TRUE(kNames.count(chosen)) << chosen;
  EXPECT_EQ(kernel_of(scalar), "scalar");  // every CPU has the scalar kernels
  EXPECT_EQ(kernel_of(bogus), chosen);     // an unknown name leaves the load-time choice
}

// A graph catalog loaded into two servers, one on the scalar kernels: every answer is the
// same reply, scores included.
TEST(KernelInfo, ServersOnDifferentKernelsAnswerAlike) {
  RedisServer wide, scalar;
  start_with(wide, "");
  start_with(scalar, "scalar");
  std::mt19937_64 rng(21);
  constexpr std::size_t kDim = 40, kItems = 2500;
  std::vector<std::vector<float>> items;
  for (std::size_t i = 0; i < kItems; ++i) items.push_back(random_vector(rng, kDim));
  for (RedisServer* srv : {&wide, &scalar}) {
    Client c = srv->client();
    std::vector<Args> cmds;
    cmds.push_back({"RECO.CATALOG.CREATE", "g", "DIM", std::to_string(kDim), "METRIC", "L2", "INDEX", "HNSW"});
    cmds.push_back({"RECO.CATALOG.CREATE", "q", "DIM", std::to_string(kDim), "METRIC", "IP", "INDEX", "HNSW",
                    "QUANT", "INT8"});
    cmds.push_back({"RECO.CATALOG.CREATE", "f", "DIM", std::to_string(kDim), "METRIC", "COSINE", "INDEX", "FLAT"});
    for (const char* cat : {"g", "q", "f"})
      for (std::size_t i = 0; i < kItems; ++i)
        cmds.push_back({"RECO.ITEM.SET", cat, "i" + std::to_string(i), "FP32", fp32(items[i])});
    load(c, cmds);
  }
  Client a = wide.client(), b = scalar.client();
  for (int q = 0; q < 30; ++q) {
    const auto v = random_vector(rng, kDim);
    for (const char* cat : {"g", "q", "f"}) {
      const Args cmd = {"RECO.KNN", cat, "10", "FP32", fp32(v)};
      const Reply ra = a.cmd(cmd), rb = b.cmd(cmd);
      ASSERT_FALSE(ra.is_error()) << ra.to_string();
      EXPECT_EQ(ra.to_string(), rb.to_string()) << cat << " query " << q;
    }
  }
}

}  // namespace
}  // namespace reco::test
