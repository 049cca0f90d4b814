// RECO.CATALOG.DUMP / RESTORE: a catalog copied between nodes in parts (the format:
// reco/catalog_copy.hpp), so that a new master or a replaced node gets a catalog, graph
// included, without re-inserting its items.
//
// DUMP <catalog> <part> replies [version, parts, bytes]: part `part` (0-based) of the
// catalog's copy, cut in parts of reco.copy-part-bytes (32 MiB; the size is fixed per copy).
// The copy is encoded when part 0 is asked, and again whenever the catalog changed since
// (its version moved), so all parts a client gets with one version belong to one copy; a
// client that sees the version change starts over. The encoded copy is kept until its last
// part has been served (a dump left unfinished: until a later DUMP finds its catalog changed
// or gone).
//
// RESTORE <catalog> <part> <parts> <bytes> [REPLACE] takes the parts in order: part 0 starts
// a new copy (dropping any unfinished one of that name), the last one decodes the whole and
// installs it; a catalog of that name is replaced only with REPLACE (checked at part 0 and
// again at the end). An error leaves the node's catalogs as they were and discards the
// unfinished copy; an unfinished restore is held until its last part or a new part 0. Each
// part is replicated and appended to the AOF as sent, so replicas and replays stage and
// install the same copy.
//
// State: the encoded copies and the unfinished restores belong to the main thread. The last
// part's decode runs on a query worker when the client may block (a DecodeJob owned by the
// blocked client; the worker only fills it), inline otherwise (MULTI, scripts, the
// replication stream, AOF loading, reco.threads 0); the install is always on the main thread.
#include <array>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "args.hpp"
#include "command.hpp"
#include "limits.hpp"
#include "reco/catalog_copy.hpp"
#include "reco/error.hpp"
#include "reco/memory.hpp"
#include "registry.hpp"
#include "serving/query_dispatch.hpp"

namespace reco::glue {

namespace {

constexpr long long kMaxCopyParts = 1 << 24;

// Both buffers in the module allocator's memory: counted in used_memory, refused (an OOM
// error, nothing changed) past maxmemory.
struct EncodedCopy {
  std::uint64_t version = 0;
  std::size_t part_bytes = 0;
  String bytes;
};
struct PendingRestore {
  long long next = 0, parts = 0;
  String bytes;
};

std::map<std::string, EncodedCopy, std::less<>>& encoded() {
  static auto* m = new std::map<std::string, EncodedCopy, std::less<>>();
  return *m;
}
std::map<std::string, PendingRestore, std::less<>>& pending() {
  static auto* m = new std::map<std::string, PendingRestore, std::less<>>();
  return *m;
}


// The last part of a restore, decoded off the main thread when the client can wait.
struct DecodeJob {
  String whole;
  std::string name;
  bool replace = false;
  std::optional<std::size_t> headroom;  // the write's memory budget, carried to the worker
  std::unique_ptr<Catalog> catalog;
  std::string error;                    // the error reply, if the decode failed
};
void decode(DecodeJob& job) noexcept;
void install(RedisModuleCtx* ctx, DecodeJob& job);
int install_reply(RedisModuleCtx* ctx, RedisModuleString** argv, int argc);
void free_job(RedisModuleCtx* ctx, void* privdata);

// RECO.CATALOG.DUMP <catalog> <part>
void catalog_dump(const Call& call) {
  ArgCursor args(call.args, 1);
  const std::string_view name = args.next("catalog name");
  const long long part = args.next_integer("part", 0, kMaxCopyParts - 1);
  const Catalog& catalog = registry().get(name);
  // Copies whose catalog is gone or has changed are of no use to anyone any more.
  std::erase_if(encoded(), [&](const auto& e) {
    return e.first != name && (!registry().contains(e.first) || registry().get(e.first).version() != e.second.version);
  });
  auto it = encoded().find(name);
  if (it == encoded().end() || part == 0 || it->second.version != catalog.version()) {
    EncodedCopy copy{catalog.version(), static_cast<std::size_t>(limits().copy_part_bytes),
                     encode_catalog_copy(catalog)};
    it = encoded().insert_or_assign(std::string(name), std::move(copy)).first;
  }
  const EncodedCopy& copy = it->second;
  const long long parts = static_cast<long long>((copy.bytes.size() + copy.part_bytes - 1) / copy.part_bytes);
  if (part >= parts) {
    throw Error("catalog " + quoted(name) + " has " + std::to_string(parts) + " parts (asked for part " +
                std::to_string(part) + ")");
  }
  const std::size_t at = static_cast<std::size_t>(part) * copy.part_bytes;
  const std::string_view bytes = view(copy.bytes).substr(at, copy.part_bytes);
  RedisModule_ReplyWithArray(call.ctx, 3);
  RedisModule_ReplyWithLongLong(call.ctx, static_cast<long long>(copy.version));
  RedisModule_ReplyWithLongLong(call.ctx, parts);
  reply_string(call.ctx, bytes);
  if (part + 1 == parts) encoded().erase(it);
}

// RECO.CATALOG.RESTORE <catalog> <part> <parts> <bytes> [REPLACE]
void catalog_restore(const Call& call) {
  ArgCursor args(call.args, 1);
  const std::string_view name = args.next("catalog name");
  if (name.empty()) throw Error("catalog name must not be empty");
  const long long part = args.next_integer("part", 0, kMaxCopyParts - 1);
  const long long parts = args.next_integer("parts", 1, kMaxCopyParts);
  const std::string_view bytes = args.next("bytes");
  bool replace = false;
  if (!args.done()) {
    const std::string_view opt = args.next_option(std::array<std::string_view, 1>{"REPLACE"});
    (void)opt;
    replace = true;
  }
  if (!args.done()) throw Error("RESTORE takes nothing after REPLACE");
  if (part >= parts) throw Error("part " + std::to_string(part) + " is not below parts " + std::to_string(parts));
  if (part == 0) {
    pending().erase(std::string(name));
    if (!replace && registry().contains(name))
      throw Error("catalog " + quoted(name) + " exists (RESTORE ... REPLACE replaces it)");
  }
  auto it = pending().find(name);
  if (part > 0 && (it == pending().end() || it->second.next != part || it->second.parts != parts)) {
    const std::string want = it == pending().end() ? std::string("part 0")
                                                   : "part " + std::to_string(it->second.next) + " of " +
                                                         std::to_string(it->second.parts);
    pending().erase(std::string(name));
    throw Error("RESTORE of " + quoted(name) + " expected " + want + ", got part " + std::to_string(part) + " of " +
                std::to_string(parts) + " (start again with part 0)");
  }
  if (it == pending().end()) it = pending().emplace(std::string(name), PendingRestore{0, parts, {}}).first;
  PendingRestore& p = it->second;
  try {
    p.bytes.append(bytes);
  } catch (...) {
    pending().erase(it);
    throw;
  }
  p.next = part + 1;
  if (p.next < p.parts) {
    RedisModule_ReplicateVerbatim(call.ctx);
    RedisModule_ReplyWithSimpleString(call.ctx, "OK");
    return;
  }
  auto job = std::make_unique<DecodeJob>();
  job->whole = std::move(p.bytes);
  job->name = std::string(name);
  job->replace = replace;
  pending().erase(it);
  // The decode (seconds for a million items) runs on a worker when the client may wait for
  // it; the catalog is installed on the main thread in the reply callback, in one step.
  if (may_block(call.ctx) && query_pool().size() > 0) {
    job->headroom = GrowthLimit::remaining();
    RedisModuleBlockedClient* bc = RedisModule_BlockClient(call.ctx, install_reply, nullptr, free_job, 0);
    DecodeJob* raw = job.release();
    const bool queued = query_pool().submit([raw, bc] {
      decode(*raw);
      RedisModule_UnblockClient(bc, raw);
    });
    if (queued) return;
    decode(*raw);  // the pool shrank to nothing meanwhile
    RedisModule_UnblockClient(bc, raw);
    return;
  }
  decode(*job);
  install(call.ctx, *job);
}

// The worker's half: decode under the write's memory budget; errors are kept as replies.
void decode(DecodeJob& job) noexcept {
  try {
    std::optional<GrowthLimit> limit;
    if (job.headroom) limit.emplace(*job.headroom);
    job.catalog = decode_catalog_copy(view(job.whole));
  } catch (...) {
    job.error = current_error_reply();
  }
  job.whole = String();
}

// The main thread's half: checks that still hold, installs, replicates, replies.
void install(RedisModuleCtx* ctx, DecodeJob& job) {
  if (!job.error.empty()) throw ReplyError{job.error};
  if (job.catalog->name() != job.name)
    throw Error("the copy holds catalog " + quoted(job.catalog->name()) + ", not " + quoted(job.name));
  if (!job.replace && registry().contains(job.name))
    throw Error("catalog " + quoted(job.name) + " exists (RESTORE ... REPLACE replaces it)");
  registry().put(std::move(job.catalog));
  encoded().erase(job.name);
  RedisModule_ReplicateVerbatim(ctx);
  RedisModule_ReplyWithSimpleString(ctx, "OK");
}

int install_reply(RedisModuleCtx* ctx, RedisModuleString** /*argv*/, int /*argc*/) {
  auto* job = static_cast<DecodeJob*>(RedisModule_GetBlockedClientPrivateData(ctx));
  try {
    install(ctx, *job);
  } catch (...) {
    reply_error(ctx, current_error_reply());
  }
  return REDISMODULE_OK;
}

void free_job(RedisModuleCtx* /*ctx*/, void* privdata) {
  auto* job = static_cast<DecodeJob*>(privdata);
  if (job->catalog) free_off_main(std::shared_ptr<Catalog>(std::move(job->catalog)));
  delete job;
}

}  // namespace

int register_catalog_copy_commands(RedisModuleCtx* ctx) {
  static const CommandSpec kSpecs[] = {
      {"reco.catalog.dump", run<catalog_dump, 3>, "readonly", 0, 0, 0},
      {"reco.catalog.restore", run<catalog_restore, -5>, "write deny-oom", 0, 0, 0},
  };
  return register_commands(ctx, kSpecs);
}

}  // namespace reco::glue
