// Bulk loading (see bulk_loader.hpp).
#include "reco_offline/bulk_loader.hpp"

#include <chrono>
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

template <class Record, class Build>
LoadSummary run_load(const char* what, RedisConnection& conn, const std::vector<Record>& records,
                     const FactorTable* vectors, const LoadOptions& options, Build build) {
  LoadSummary summary;
  summary.what = what;
  std::vector<std::string> ids;
  const std::vector<Job> jobs = join_by_id(records, vectors, ids);
  const int dim = vectors ? static_cast<int>(vectors->vectors.cols()) : 0;
  ProgressBar bar(what, jobs.size(), options.progress);
  const auto start = std::chrono::steady_clock::now();
  uint64_t answered = 0;
  Pipeline pipeline(conn, options.window, [&](uint64_t tag, const Reply& reply) {
    ++answered;
    if (reply.is_error()) {
      ++summary.errors;
      if (summary.first_errors.size() < options.keep_errors) summary.first_errors.push_back(ids[tag] + ": " + reply.str);
    } else if (reply.type == Reply::Type::Integer && reply.integer == 1) {
      ++summary.created;
    }
    if ((answered & 1023) == 0) bar.update(answered, summary.errors);
  });
  CommandArgs args;
  for (size_t k = 0; k < jobs.size(); ++k) {
    const Job& j = jobs[k];
    const Record* record = j.record != SIZE_MAX ? &records[j.record] : nullptr;
    const float* vec = j.row >= 0 ? vectors->vectors.row(j.row).data() : nullptr;
    if (vec) ++summary.with_vector;
    build(args, ids[k], record, vec, dim);
    pipeline.send(args, k);
  }
  pipeline.drain();
  summary.records = jobs.size();
  summary.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  bar.finish(answered, summary.errors);
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
  std::string key;
  return run_load("users", conn, users, vectors, options,
                  [&](CommandArgs& args, const std::string& id, const UserRecord* rec, const float* vec, int dim) {
                    key = options.user_prefix;
                    key += id;
                    build_user_set(args, key, rec, vec, dim);
                  });
}

}  // namespace reco_offline
