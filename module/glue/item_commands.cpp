// RECO.ITEM.SET / DEL / GET: the items of a catalog.
//
// Items belong to a node-level catalog, so these commands declare no keys. SET is an upsert
// of the fields given (the engine keeps the others), parsed completely before the catalog
// is touched; the catalog validates the update as a whole and changes nothing if it throws.
// Both writes go through serve_write (serving/write_dispatch.hpp): while queries run on the
// catalog, the lock wait happens on a worker and the write is applied when it is granted. A
// SET that inserts a vector into a graph goes through serve_planned_write: the neighbour
// search runs on a worker too, and the main thread only links the node.
#include <array>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "args.hpp"
#include "command.hpp"
#include "limits_config.hpp"
#include "reco/catalog.hpp"
#include "reco/error.hpp"
#include "reco/vector_codec.hpp"
#include "registry.hpp"
#include "serving/deferred_reply.hpp"
#include "serving/write_dispatch.hpp"

namespace reco::glue {

namespace {

struct InsertPrep final : WritePrep {
  std::unique_ptr<VectorInsertPlan> plan;
};

// RECO.ITEM.SET <catalog> <item> [FP32 <blob> | VALUES <n> v...] [TERMS <n> t...]
//   [POPULARITY <p>] [TIME <unix-seconds>] [FEATURES <n> name value ...]
void item_set(const Call& call) {
  const Catalog& catalog = registry().get(call.args[1]);
  std::string_view id = call.args[2];

  constexpr std::array<std::string_view, 6> kOptions{"FP32", "VALUES", "TERMS", "POPULARITY",
                                                     "TIME", "FEATURES"};
  ArgCursor args(call.args, 3);
  OptionsSeen seen;
  ItemUpdate update;
  while (!args.done()) {
    std::string_view opt = args.next_option(kOptions);
    if (opt == "FP32" || opt == "VALUES") {
      // One vector per item, in either encoding.
      if (update.vector) throw Error("only one of FP32 and VALUES may be given");
      update.vector = vector_for_catalog(args.next_vector(opt), catalog.dim());
      continue;
    }
    seen.mark(opt);
    if (opt == "TERMS") {
      auto terms = args.next_counted("TERMS", 1);
      reject_duplicates("TERMS", terms, 1);
      update.terms.emplace(terms.begin(), terms.end());
    } else if (opt == "POPULARITY") {
      update.popularity = args.next_finite_double("POPULARITY");
    } else if (opt == "TIME") {
      update.time = args.next_integer("TIME", INT64_MIN, INT64_MAX);
    } else {
      auto pairs = args.next_counted("FEATURES", 2);
      reject_duplicates("FEATURES", pairs, 2);
      std::vector<std::pair<std::string, std::string>> features;
      features.reserve(pairs.size() / 2);
      for (std::size_t i = 0; i < pairs.size(); i += 2) {
        features.emplace_back(std::string(pairs[i]), std::string(pairs[i + 1]));
      }
      update.features = std::move(features);
    }
  }

  // Shared by the plan and the apply step, not copied for each.
  auto shared_update = std::make_shared<const ItemUpdate>(std::move(update));
  auto apply = [id = std::string(id), shared_update](Catalog& c, RedisModuleCtx* ctx, WritePrep* prep) {
    const auto* insert = static_cast<InsertPrep*>(prep);
    const bool created = c.upsert(id, *shared_update, insert ? insert->plan.get() : nullptr);
    RedisModule_ReplicateVerbatim(ctx);
    RedisModule_ReplyWithLongLong(ctx, created ? 1 : 0);
  };
  std::shared_ptr<SharedCatalog> handle = registry().handle(call.args[1]);
  const auto dense = catalog.find(id);
  if (shared_update->vector && catalog.plans_upserts() && !(dense && catalog.vectors().contains(*dense))) {
    // A graph insert: its neighbour search runs on a worker (serving/write_dispatch.hpp).
    serve_planned_write(call.ctx, std::move(handle),
                        [id = std::string(id), shared_update](const Catalog& c) {
                          auto prep = std::make_unique<InsertPrep>();
                          prep->plan = c.plan_upsert(id, *shared_update);
                          return std::unique_ptr<WritePrep>(std::move(prep));
                        },
                        std::move(apply));
    return;
  }
  serve_write(call.ctx, std::move(handle),
              [apply = std::move(apply)](Catalog& c, RedisModuleCtx* ctx) { apply(c, ctx, nullptr); });
}

// RECO.ITEM.DEL <catalog> <item> [<item> ...]
void item_del(const Call& call) {
  check_cap("items", static_cast<long long>(call.args.size() - 2), "max-list", limits().max_list);
  std::vector<std::string> ids(call.args.begin() + 2, call.args.end());
  serve_write(call.ctx, registry().handle(call.args[1]), [ids = std::move(ids)](Catalog& c, RedisModuleCtx* ctx) {
    long long deleted = 0;
    for (const std::string& id : ids) {
      if (c.erase(id)) ++deleted;
    }
    // Like DEL: nothing removed, nothing to replicate.
    if (deleted > 0) RedisModule_ReplicateVerbatim(ctx);
    RedisModule_ReplyWithLongLong(ctx, deleted);
  });
}

// RECO.ITEM.GET <catalog> <item>
void item_get(const Call& call) {
  const Catalog& catalog = registry().get(call.args[1]);
  auto dense = catalog.find(call.args[2]);
  RedisModuleCtx* ctx = call.ctx;
  if (!dense) {
    RedisModule_ReplyWithNull(ctx);
    return;
  }
  const Item& item = catalog.item(*dense);
  const std::vector<float> vec = catalog.vector(*dense);

  // Recorded first, sent whole: formatting can throw (out of memory) and an exception
  // after the first reply call would leave a half-written array with an error inside it.
  DeferredReply r;
  r.array(10);
  r.string("vector");
  if (vec.empty()) {
    r.null();
  } else {
    r.array(vec.size());
    for (float v : vec) r.string(format_float(v));
  }
  r.string("terms");
  r.array(item.terms.size());
  for (const String& t : item.terms) r.string(view(t));
  r.string("popularity");
  r.real(item.popularity);
  r.string("time");
  r.integer(item.time);
  r.string("features");
  r.array(item.features.size() * 2);
  for (const Feature& f : item.features) {
    r.string(view(f.name));
    r.string(view(f.value));
  }
  r.send(ctx);
}

}  // namespace

int register_item_commands(RedisModuleCtx* ctx) {
  static const CommandSpec kSpecs[] = {
      {"reco.item.set", run<item_set, -3>, "write deny-oom", 0, 0, 0},
      // Deleting frees memory, so it must work when the server is out of memory.
      {"reco.item.del", run<item_del, -3>, "write", 0, 0, 0},
      {"reco.item.get", run<item_get, 3>, "readonly fast", 0, 0, 0},
  };
  return register_commands(ctx, kSpecs);
}

}  // namespace reco::glue
