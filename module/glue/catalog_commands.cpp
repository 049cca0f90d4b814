// RECO.CATALOG.CREATE / DROP / INFO / LIST.
//
// Catalogs are node-level objects, not keys, so these commands declare no keys (they run on
// whichever node they are sent to; a loader sends them to every master). Writes replicate
// verbatim, which also appends them to the AOF.
#include <array>
#include <string_view>

#include "aof_preamble.hpp"
#include "args.hpp"
#include "command.hpp"
#include "reco/catalog.hpp"
#include "reco/error.hpp"
#include "reco/metric.hpp"
#include "registry.hpp"

namespace reco::glue {

namespace {

// RECO.CATALOG.CREATE <catalog> DIM <d> [METRIC IP|COSINE|L2]
void catalog_create(const Call& call) {
  ArgCursor args(call.args, 1);
  std::string_view name = args.next("catalog name");
  if (name.empty()) throw Error("catalog name must not be empty");

  constexpr std::array<std::string_view, 2> kOptions{"DIM", "METRIC"};
  OptionsSeen seen;
  long long dim = 0;
  Metric metric = Metric::Cosine;
  while (!args.done()) {
    std::string_view opt = args.next_option(kOptions);
    seen.mark(opt);
    if (opt == "DIM") {
      dim = args.next_integer("DIM", 1, static_cast<long long>(kMaxDim));
    } else {
      auto m = parse_metric(args.next("METRIC value"));
      if (!m) throw Error("METRIC must be IP, COSINE or L2");
      metric = *m;
    }
  }
  if (dim == 0) throw Error("DIM is required");
  if (registry().find(name)) throw Error("catalog " + quoted(name) + " already exists");

  registry().create(name, static_cast<std::size_t>(dim), metric);
  warn_if_aof_lacks_preamble(call.ctx);
  RedisModule_ReplicateVerbatim(call.ctx);
  RedisModule_ReplyWithSimpleString(call.ctx, "OK");
}

// RECO.CATALOG.DROP <catalog>
void catalog_drop(const Call& call) {
  std::string_view name = call.args[1];
  registry().get(name);  // the error for an unknown name
  registry().drop(name);
  RedisModule_ReplicateVerbatim(call.ctx);
  RedisModule_ReplyWithSimpleString(call.ctx, "OK");
}

// RECO.CATALOG.INFO <catalog>
void catalog_info(const Call& call) {
  const Catalog& c = registry().get(call.args[1]);
  RedisModuleCtx* ctx = call.ctx;
  RedisModule_ReplyWithArray(ctx, 18);
  reply_string(ctx, "name");
  reply_string(ctx, c.name());
  reply_string(ctx, "dim");
  RedisModule_ReplyWithLongLong(ctx, static_cast<long long>(c.dim()));
  reply_string(ctx, "metric");
  reply_string(ctx, metric_name(c.metric()));
  reply_string(ctx, "items");
  RedisModule_ReplyWithLongLong(ctx, static_cast<long long>(c.size()));
  reply_string(ctx, "items_with_vector");
  RedisModule_ReplyWithLongLong(ctx, static_cast<long long>(c.vectors().size()));
  reply_string(ctx, "terms");
  RedisModule_ReplyWithLongLong(ctx, static_cast<long long>(c.terms().term_count()));
  reply_string(ctx, "index");
  reply_string(ctx, c.vectors().kind());
  reply_string(ctx, "memory_bytes");
  RedisModule_ReplyWithLongLong(ctx, static_cast<long long>(c.memory_bytes()));
  reply_string(ctx, "version");
  // An unsigned counter; it would need 2^63 writes to leave the signed range.
  RedisModule_ReplyWithLongLong(ctx, static_cast<long long>(c.version()));
}

// RECO.CATALOG.LIST
void catalog_list(const Call& call) {
  const CatalogMap& all = registry().all();
  RedisModule_ReplyWithArray(call.ctx, static_cast<long>(all.size()));
  for (const auto& [name, catalog] : all) reply_string(call.ctx, name);
}

}  // namespace

int register_catalog_commands(RedisModuleCtx* ctx) {
  static const CommandSpec kSpecs[] = {
      {"reco.catalog.create", run<catalog_create, -4>, "write deny-oom", 0, 0, 0},
      // Dropping frees memory, so it must work when the server is out of memory.
      {"reco.catalog.drop", run<catalog_drop, 2>, "write", 0, 0, 0},
      {"reco.catalog.info", run<catalog_info, 2>, "readonly fast", 0, 0, 0},
      {"reco.catalog.list", run<catalog_list, 1>, "readonly fast", 0, 0, 0},
  };
  return register_commands(ctx, kSpecs);
}

}  // namespace reco::glue
