// Bulk loading (see bulk_loader.hpp).
#include "reco_offline/bulk_loader.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "reco_offline/reco_commands.hpp"
#include "reco_offline/text_input.hpp"

namespace reco_offline {

namespace {

// One unit of work: a record, a vector row, or both.
struct Job {
  size_t record = SIZE_MAX;
  Eigen::Index row = -1;
};

template <class Record>
std::vector<Job> join_by_id(const std::vector<Record>& records, const FactorTable* vectors, std::vector<std::string>& ids) {
  std::vector<Job> jobs;
  jobs.reserve(records.size() + (vectors ? vectors->ids.size() : 0));
  std::unordered_map<std::string_view, Eigen::Index> row_of;
  if (vectors) {
    row_of.reserve(vectors->ids.size() * 2);
    for (size_t r = 0; r < vectors->ids.size(); ++r) row_of.emplace(vectors->ids[r], static_cast<Eigen::Index>(r));
  }
  std::vector<char> used(vectors ? vectors->ids.size() : 0, 0);
  for (size_t k = 0; k < records.size(); ++k) {
    Job j;
    j.record = k;
    const auto it = row_of.find(records[k].id);
    if (it != row_of.end()) {
      j.row = it->second;
      used[static_cast<size_t>(it->second)] = 1;
    }
    jobs.push_back(j);
    ids.push_back(records[k].id);
  }
  for (size_t r = 0; r < used.size(); ++r) {
    if (!used[r]) {
      jobs.push_back(Job{SIZE_MAX, static_cast<Eigen::Index>(r)});
      ids.push_back(vectors->ids[r]);
    }
  }
  return jobs;
}

// `build` runs on every lane's thread at once: it must not write shared state.
template <class Record, class Build>
LoadSummary run_load(const char* what, RedisConnection& conn, const std::vector<Record>& records,
                     const FactorTable* vectors, const LoadOptions& options, Build build) {
  LoadSummary summary;
  summary.what = what;
  std::vector<std::string> ids;
  const std::vector<Job> jobs = join_by_id(records, vectors, ids);
  const int dim = vectors ? static_cast<int>(vectors->vectors.cols()) : 0;
  const size_t lanes = std::max<size_t>(1, std::min(options.connections, std::max<size_t>(1, jobs.size())));
  // Extra connections first, so that a refused one fails the load before anything is sent.
  std::vector<std::unique_ptr<RedisConnection>> extra;
  for (size_t c = 1; c < lanes; ++c) extra.push_back(std::make_unique<RedisConnection>(options.host, options.port));
  ProgressBar bar(what, jobs.size(), options.progress);
  const auto start = std::chrono::steady_clock::now();
  std::mutex mu;  // summary, and the bar (drawn by whichever lane passes a multiple of 1024)
  std::atomic<uint64_t> answered{0};
  std::vector<std::exception_ptr> failed(lanes);
  // Lane c sends jobs c, c + lanes, ...: with one lane, every job in order.
  auto lane = [&](size_t c, RedisConnection& link) {
    try {
      Pipeline pipeline(link, options.window, [&](uint64_t tag, const Reply& reply) {
        const uint64_t done = answered.fetch_add(1) + 1;
        std::lock_guard<std::mutex> g(mu);
        if (reply.is_error() && (reply.str.rfind("MOVED ", 0) == 0 || reply.str.rfind("ASK ", 0) == 0)) {
          summary.redirected.emplace_back(ids[tag], reply.str);
        } else if (reply.is_error()) {
          ++summary.errors;
          if (summary.first_errors.size() < options.keep_errors) summary.first_errors.push_back(ids[tag] + ": " + reply.str);
        } else if (reply.type == Reply::Type::Integer && reply.integer == 1) {
          ++summary.created;
        }
        if ((done & 1023) == 0) bar.update(done, summary.errors);
      });
      CommandArgs args;
      for (size_t k = c; k < jobs.size(); k += lanes) {
        const Job& j = jobs[k];
        const Record* record = j.record != SIZE_MAX ? &records[j.record] : nullptr;
        const float* vec = j.row >= 0 ? vectors->vectors.row(j.row).data() : nullptr;
        build(args, ids[k], record, vec, dim);
        pipeline.send(args, k);
      }
      pipeline.drain();
    } catch (...) {
      failed[c] = std::current_exception();
    }
  };
  std::vector<std::thread> threads;
  for (size_t c = 1; c < lanes; ++c) threads.emplace_back(lane, c, std::ref(*extra[c - 1]));
  lane(0, conn);
  for (auto& t : threads) t.join();
  for (const auto& e : failed)
    if (e) std::rethrow_exception(e);
  for (const Job& j : jobs) summary.with_vector += j.row >= 0;
  summary.records = jobs.size();
  summary.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  bar.finish(answered.load(), summary.errors);
  return summary;
}

}  // namespace

std::string catalog_info_field(RedisConnection& conn, const std::string& catalog, const std::string& field) {
  const Reply info = conn.command({"RECO.CATALOG.INFO", catalog});
  if (info.is_error()) return {};
  if (info.type != Reply::Type::Array) throw RedisError("RECO.CATALOG.INFO: unexpected reply " + info.to_string());
  for (size_t k = 0; k + 1 < info.elements.size(); k += 2) {
    if (info.elements[k].str == field) {
      const Reply& v = info.elements[k + 1];
      return v.type == Reply::Type::Integer ? std::to_string(v.integer) : v.str;
    }
  }
  return {};
}

bool ensure_catalog(RedisConnection& conn, const std::string& catalog, int dim, const std::string& metric,
                    const std::string& index) {
  const Reply info = conn.command({"RECO.CATALOG.INFO", catalog});
  if (info.type == Reply::Type::Array) {
    std::string have_dim;
    for (size_t k = 0; k + 1 < info.elements.size(); k += 2) {
      if (info.elements[k].str == "dim") {
        const Reply& v = info.elements[k + 1];
        have_dim = v.type == Reply::Type::Integer ? std::to_string(v.integer) : v.str;
      }
    }
    if (have_dim.empty()) throw RedisError("RECO.CATALOG.INFO " + catalog + ": no dim in the reply");
    if (have_dim != std::to_string(dim)) {
      throw DataError("catalog \"" + catalog + "\" exists with dimension " + have_dim + ", the vectors have " +
                      std::to_string(dim) + " (drop it with RECO.CATALOG.DROP " + catalog +
                      " or load into another catalog)");
    }
    return false;
  }
  if (info.is_error() && info.str.find("unknown command") != std::string::npos) {
    throw RedisError("the server does not know RECO.CATALOG.INFO: is reco.so loaded? (" + info.str + ")");
  }
  CommandArgs create;
  build_catalog_create(create, catalog, dim, metric, index);
  const Reply created = conn.command(create);
  if (created.is_error()) throw RedisError("RECO.CATALOG.CREATE " + catalog + ": " + created.str);
  return true;
}

LoadSummary load_items(RedisConnection& conn, const std::vector<ItemRecord>& items, const FactorTable* vectors,
                       const LoadOptions& options) {
  return run_load("items", conn, items, vectors, options,
                  [&](CommandArgs& args, const std::string& id, const ItemRecord* rec, const float* vec, int dim) {
                    build_item_set(args, options.catalog, id, rec, vec, dim);
                  });
}

LoadSummary load_users(RedisConnection& conn, const std::vector<UserRecord>& users, const FactorTable* vectors,
                       const LoadOptions& options) {
  // Called from every lane at once: nothing shared may be written here.
  return run_load("users", conn, users, vectors, options,
                  [&](CommandArgs& args, const std::string& id, const UserRecord* rec, const float* vec, int dim) {
                    build_user_set(args, options.user_prefix + id, rec, vec, dim);
                  });
}

}  // namespace reco_offline
