// Sends a catalog's bias dimension (see bias_dim.hpp); kept apart from bias_dim.cpp,
// which the offline library (no Redis client) also holds.
#include <cstdio>

#include "reco_offline/bias_dim.hpp"
#include "reco_offline/redis_client.hpp"
#include "reco_offline/text_input.hpp"

namespace reco_offline {

bool send_bias_dim(RedisConnection& conn, const std::string& catalog, const std::string& value) {
  const Reply r = conn.command({"RECO.CATALOG.CONFIG", "SET", catalog, "BIAS_DIM", value});
  if (!r.is_error()) return true;
  if (r.str.find("unknown parameter") != std::string::npos || r.str.find("unknown command") != std::string::npos ||
      r.str.find("unknown subcommand") != std::string::npos) {
    std::fprintf(stderr,
                 "reco-load: warning: this server's module has no BIAS_DIM; RECO.SIMILAR on %s will score with "
                 "the bias dimension (%s)\n",
                 catalog.c_str(), r.str.c_str());
    return false;
  }
  throw DataError("RECO.CATALOG.CONFIG SET " + catalog + " BIAS_DIM " + value + " refused: " + r.str);
}

}  // namespace reco_offline
