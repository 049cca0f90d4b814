// Bulk load of items and users into the module over pipelined connections (one by default;
// `connections` > 1 opens more to `host`:`port` and deals the records round-robin, which
// lets a graph catalog plan several inserts at once on the server's workers, at the price
// of an order of writes, and so a graph, that differs from run to run).
// Records and vectors are joined by id: a record without a vector is loaded
// without one, a vector without a record is loaded alone (factors made
// elsewhere can be loaded with no metadata at all). Per-record errors are
// counted and the first few kept with their ids; the load goes on, and the
// caller turns a non-zero error count into a failing exit status.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "reco_offline/factor_files.hpp"
#include "reco_offline/progress.hpp"
#include "reco_offline/records.hpp"
#include "reco_offline/redis_client.hpp"

namespace reco_offline {

struct LoadOptions {
  std::string catalog = "movies";
  std::string user_prefix = "user:";
  std::string metric = "IP";
  std::string index;  // INDEX when the catalog is created; empty: the server's default (AUTO)
  size_t window = 2000;  // commands in flight, per connection
  size_t connections = 1;
  std::string host = "127.0.0.1";  // for connections beyond the caller's
  int port = 6379;
  ProgressBar::Mode progress = ProgressBar::Mode::Auto;
  size_t keep_errors = 5;
};

struct LoadSummary {
  std::string what;
  uint64_t records = 0;
  uint64_t with_vector = 0;
  uint64_t created = 0;  // items: replies of 1 (new item)
  uint64_t errors = 0;
  double seconds = 0;
  std::vector<std::string> first_errors;  // "id: message"
  // Records a cluster node sent elsewhere (MOVED/ASK replies: id, the reply), not counted as
  // errors; the cluster loader re-sends them.
  std::vector<std::pair<std::string, std::string>> redirected;
  double rate() const { return seconds > 0 ? static_cast<double>(records) / seconds : 0.0; }
};

// Creates the catalog, or keeps it when it exists with the same dimension.
// Throws DataError when it exists with another dimension (nothing is changed),
// RedisError when the server does not answer as the module does.
// Returns true if the catalog was created (with `index` as its INDEX option, if not empty).
bool ensure_catalog(RedisConnection& conn, const std::string& catalog, int dim, const std::string& metric,
                    const std::string& index = "");

// Reads a field of RECO.CATALOG.INFO; empty if the catalog does not exist.
std::string catalog_info_field(RedisConnection& conn, const std::string& catalog, const std::string& field);

LoadSummary load_items(RedisConnection& conn, const std::vector<ItemRecord>& items, const FactorTable* vectors,
                       const LoadOptions& options);
LoadSummary load_users(RedisConnection& conn, const std::vector<UserRecord>& users, const FactorTable* vectors,
                       const LoadOptions& options);

}  // namespace reco_offline
