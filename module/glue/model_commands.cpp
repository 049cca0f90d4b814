// RECO.MODEL.* (versions of a catalog's ranking model) and RECO.SCORE.
//
// Models belong to a catalog, so like catalog writes they declare no key and replicate
// verbatim; a model file travels as one binary-safe argument. Versions are immutable and a
// malformed file is refused before anything changes, so the active version keeps serving.
// RECO.SCORE declares its user key (position 2), like RECO.RECOMMEND.
#include <array>
#include <cinttypes>
#include <cstdio>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "args.hpp"
#include "command.hpp"
#include "limits_config.hpp"
#include "info_reply.hpp"
#include "model_args.hpp"
#include "reco/catalog.hpp"
#include "reco/error.hpp"
#include "reco/model_set.hpp"
#include "registry.hpp"
#include "serving/query_dispatch.hpp"
#include "serving/write_dispatch.hpp"
#include "user_type.hpp"

namespace reco::glue {

namespace {

const ModelVersion& version_of(const Catalog& c, std::string_view name) {
  const ModelVersion* v = c.models().find(name);
  if (!v) throw Error("no model version " + quoted(name) + " in catalog " + quoted(c.name()));
  return *v;
}

// What the model commands may change, as one comparable string: versions (name, file digest,
// state), the split and the rollback history. A command bumps the catalog's version only
// when this differs afterwards, so an idempotent re-send (the same PUT, ACTIVATE of the
// active version, the same SPLIT, SPLIT OFF with none running) leaves it alone.
std::string model_state(const ModelSet& m) {
  std::string s;
  for (const ModelVersionInfo& v : m.list()) {
    s += v.name;
    s += '\0';
    s += std::to_string(v.digest) + (v.active ? "a" : "-") + std::to_string(v.split_buckets) + '\n';
  }
  if (const auto& split = m.current_split()) {
    s += "split ";
    s += view(split->a);
    s += '\0';
    s += view(split->b);
    s += ' ' + std::to_string(split->b_buckets);
  }
  s += "\nhistory";
  for (const std::string& h : m.history()) {
    s += '\0';
    s += h;
  }
  return s;
}

// Runs `change` on a write-held catalog's models; counts it if it changed them. (A change
// that throws has changed nothing: the model set validates before it changes.)
template <typename F>
auto change_models_of(Catalog& c, F&& change) {
  const std::string before = model_state(c.models());
  if constexpr (std::is_void_v<decltype(change(c.models()))>) {
    change(c.models());
    if (model_state(c.models()) != before) c.count_change();
  } else {
    auto result = change(c.models());
    if (model_state(c.models()) != before) c.count_change();
    return result;
  }
}

// The same under the write hold, taken here.
template <typename F>
auto change_models(std::string_view catalog, F&& change) {
  auto w = registry().write(catalog);
  return change_models_of(*w, std::forward<F>(change));
}

// A model file kept alive for a worker that parses it after the command returned (the
// client may disconnect meanwhile); released with the task, on the main thread.
struct RetainedString {
  RedisModuleString* str;
  explicit RetainedString(RedisModuleCtx* ctx, RedisModuleString* s) : str(s) { RedisModule_RetainString(ctx, s); }
  ~RetainedString() { RedisModule_FreeString(nullptr, str); }
  RetainedString(const RetainedString&) = delete;
  RetainedString& operator=(const RetainedString&) = delete;
  std::string_view bytes() const {
    std::size_t len = 0;
    const char* p = RedisModule_StringPtrLen(str, &len);
    return {p, len};
  }
};

// What a PUT's parse left for its apply: the version to install (nullptr: these bytes are
// already there) or the refusal, and the catalog's change count it was made at.
struct ModelPrep final : WritePrep {
  std::unique_ptr<ModelVersion> version;
  std::exception_ptr refused;  // the parse's error, or the allocation its growth limit refused
  std::uint64_t at = 0;
};

std::unique_ptr<ModelVersion> prepare_version(const Catalog& c, std::string_view name, std::string_view bytes) {
  try {
    return c.models().prepare(name, bytes, CatalogItems(c));
  } catch (const Error& e) {
    throw Error("model version " + quoted(name) + " refused: " + e.what());
  }
}

// RECO.MODEL.PUT <catalog> <version> <model-file> [ACTIVATE]
//
// The parse and the item tables (up to hundreds of ms for a large file) are the write's
// read-only part: with workers they run on one, under the catalog's shared lock, while
// queries go on (serving/write_dispatch.hpp); the main thread then installs the result, or,
// if the catalog changed since the parse, parses again itself, so the outcome is always
// that of parsing at the moment of the install.
void model_put(const Call& call) {
  registry().get(call.args[1]);  // "no such catalog" before anything else
  std::string_view name = call.args[2];
  bool activate = false;
  if (call.args.size() == 5) {
    if (!equals_nocase(call.args[4], "ACTIVATE")) throw Error("unknown option " + quoted(call.args[4]));
    activate = true;
  } else if (call.args.size() > 5) {
    throw Error("PUT takes at most one option (ACTIVATE)");
  }
  check_cap("model file of", static_cast<long long>(call.args[3].size()), "max-model-bytes",
            limits().max_model_bytes);
  auto file = std::make_shared<RetainedString>(call.ctx, call.argv[3]);
  auto plan = [file, name = std::string(name)](const Catalog& c) {
    auto prep = std::make_unique<ModelPrep>();
    prep->at = c.version();
    try {
      prep->version = prepare_version(c, name, file->bytes());
    } catch (const Error&) {
      prep->refused = std::current_exception();
    } catch (const std::bad_alloc&) {
      prep->refused = std::current_exception();  // OOM: not worth parsing again on the main thread
    }
    return std::unique_ptr<WritePrep>(std::move(prep));
  };
  auto apply = [file, name = std::string(name), activate](Catalog& c, RedisModuleCtx* ctx, WritePrep* p) {
    auto* prep = static_cast<ModelPrep*>(p);
    std::unique_ptr<ModelVersion> version;
    if (prep && prep->at == c.version()) {
      if (prep->refused) std::rethrow_exception(prep->refused);
      version = std::move(prep->version);
    } else {
      version = prepare_version(c, name, file->bytes());
    }
    change_models_of(c, [&](ModelSet& m) {
      if (version) m.install(std::move(version));
      if (activate) m.activate(name);
    });
    RedisModule_ReplicateVerbatim(ctx);
    RedisModule_ReplyWithSimpleString(ctx, "OK");
  };
  serve_planned_write(call.ctx, registry().handle(call.args[1]), std::move(plan), std::move(apply));
}

// RECO.MODEL.ACTIVATE <catalog> <version>
void model_activate(const Call& call) {
  version_of(registry().get(call.args[1]), call.args[2]);
  change_models(call.args[1], [&](ModelSet& m) { m.activate(call.args[2]); });
  RedisModule_ReplicateVerbatim(call.ctx);
  RedisModule_ReplyWithSimpleString(call.ctx, "OK");
}

// RECO.MODEL.ROLLBACK <catalog>
void model_rollback(const Call& call) {
  std::string now = change_models(call.args[1], [](ModelSet& m) { return m.rollback(); });
  RedisModule_ReplicateVerbatim(call.ctx);
  reply_string(call.ctx, now);
}

// RECO.MODEL.DEL <catalog> <version> [FORCE]
void model_del(const Call& call) {
  const Catalog& c = registry().get(call.args[1]);
  bool force = false;
  if (call.args.size() > 4) throw Error("DEL takes at most one option (FORCE)");
  if (call.args.size() == 4) {
    if (!equals_nocase(call.args[3], "FORCE")) throw Error("unknown option " + quoted(call.args[3]));
    force = true;
  }
  if (!c.models().find(call.args[2])) {
    RedisModule_ReplyWithLongLong(call.ctx, 0);
    return;
  }
  std::unique_ptr<ModelVersion> gone =
      change_models(call.args[1], [&](ModelSet& m) { return m.remove(call.args[2], force); });
  free_off_main(std::shared_ptr<ModelVersion>(std::move(gone)));
  RedisModule_ReplicateVerbatim(call.ctx);
  RedisModule_ReplyWithLongLong(call.ctx, 1);
}

// RECO.MODEL.SPLIT <catalog> <version-a> <version-b> <percent-b> | RECO.MODEL.SPLIT <catalog> OFF
void model_split(const Call& call) {
  const Catalog& c = registry().get(call.args[1]);
  if (call.args.size() == 3) {
    if (!equals_nocase(call.args[2], "OFF")) throw Error("SPLIT takes <a> <b> <percent-b>, or OFF");
    change_models(call.args[1], [](ModelSet& m) { m.clear_split(); });
  } else if (call.args.size() == 5) {
    version_of(c, call.args[2]);
    version_of(c, call.args[3]);
    if (call.args[2] == call.args[3]) throw Error("a split needs two different versions");
    ArgCursor args(call.args, 4);
    double percent = args.next_double_at_least("percent", 0.0);
    if (percent > 100) throw Error("percent must be between 0 and 100");
    change_models(call.args[1], [&](ModelSet& m) { m.split(call.args[2], call.args[3], percent); });
  } else {
    throw Error("SPLIT takes <a> <b> <percent-b>, or OFF");
  }
  RedisModule_ReplicateVerbatim(call.ctx);
  RedisModule_ReplyWithSimpleString(call.ctx, "OK");
}

std::string_view state_of(const ModelVersionInfo& v) {
  if (v.active) return "active";
  if (v.split_buckets > 0) return "split";
  return "standby";
}

// RECO.MODEL.LIST <catalog>  ->  [[version, active|split|standby], ...] in put order
void model_list(const Call& call) {
  const Catalog& c = registry().get(call.args[1]);
  auto all = c.models().list();
  RedisModule_ReplyWithArray(call.ctx, static_cast<long>(all.size()));
  for (const ModelVersionInfo& v : all) {
    RedisModule_ReplyWithArray(call.ctx, 2);
    reply_string(call.ctx, v.name);
    reply_string(call.ctx, state_of(v));
  }
}

// RECO.MODEL.INFO <catalog> <version>
void model_info(const Call& call) {
  const Catalog& c = registry().get(call.args[1]);
  version_of(c, call.args[2]);
  for (const ModelVersionInfo& v : c.models().list()) {
    if (v.name != call.args[2]) continue;
    InfoReply r;
    r.add("version", v.name);
    r.add("state", state_of(v));
    r.add("active", v.active ? 1 : 0);
    r.add("split_percent", v.split_buckets / (ModelSet::kBuckets / 100.0));
    r.add("fields", v.fields);
    r.add("parameters", v.parameters);
    r.add("mlp", v.has_mlp ? 1 : 0);
    r.add("output", v.sigmoid ? "sigmoid" : "logit");
    r.add("item_width", v.item_width);
    r.add("file_bytes", v.file_bytes);
    char digest[17];
    std::snprintf(digest, sizeof digest, "%016" PRIx64, v.digest);
    r.add("digest", digest);
    r.add("memory_bytes", v.memory_bytes);
    r.add("requests", v.requests);
    r.add("candidates", v.candidates);
    r.add("recent_requests", v.recent.requests);
    r.add("recent_scores", v.recent.scores);
    r.add("recent_score_mean", v.recent.mean);
    r.add("recent_score_std", v.recent.stddev);
    r.add("run", v.run);
    // The inputs' drift signals: per field, the share with no value / only unknown values.
    for (const ModelVersionInfo::FieldValues& f : v.field_values) {
      r.add("field." + f.field + ".missing", f.missing);
      r.add("field." + f.field + ".unknown", f.unknown);
    }
    r.send(call.ctx);
    return;
  }
}

// RECO.SCORE <catalog> <user-key> <n> <item>... [MODEL <version>] [CONTEXT <n> <name> <value>...]
// -> one score per item (nil for an item the catalog does not hold)
// A query like RECO.RECOMMEND (serving/query_dispatch.hpp): parsed and checked here, the
// version and the items looked up again where it runs.
void score_command(const Call& call) {
  auto task = std::make_unique<QueryTask>(call);
  task->catalog = registry().handle(call.args[1]);
  const Catalog& c = task->catalog->unlocked();
  ArgCursor args(task->args, 3);
  auto items = std::make_shared<const std::vector<std::string_view>>(args.next_counted("items", 1));
  if (items->empty()) throw Error("items count must be at least 1");
  auto choice = std::make_shared<ModelChoice>();
  constexpr std::array<std::string_view, 2> kOptions{"MODEL", "CONTEXT"};
  OptionsSeen seen;
  while (!args.done()) {
    std::string_view opt = args.next_option(kOptions);
    seen.mark(opt);
    if (opt == "MODEL") {
      choice->parse_model(args);
    } else {
      choice->parse_context(args);
    }
  }
  std::string_view user_key = task->args[2];
  auto resolve = [choice, user_key](const Catalog& c) {
    const ModelVersion* version = choice->resolve(c, user_key);
    if (!version)
      throw Error("catalog " + quoted(c.name()) + " has no active model (RECO.MODEL.ACTIVATE)");
    return version;
  };
  resolve(c);

  std::shared_ptr<const std::optional<UserProfile>> user;
  {
    UserKey key(call.ctx, call.argv[2], false);
    user = std::make_shared<const std::optional<UserProfile>>(
        key.profile() ? std::optional<UserProfile>(*key.profile()) : std::nullopt);
  }
  task->execute = [items, choice, user_key, user, resolve](const Catalog& c, DeferredReply& out) {
    const ModelVersion* version = resolve(c);
    std::vector<std::uint32_t> dense;
    std::vector<int> slot(items->size(), -1);
    for (std::size_t i = 0; i < items->size(); ++i) {
      if (auto d = c.find((*items)[i])) {
        slot[i] = static_cast<int>(dense.size());
        dense.push_back(*d);
      }
    }
    UserSide side = version->model().prepare_user(user_key, user->has_value() ? &**user : nullptr,
                                                  choice->context());
    std::vector<float> scores(dense.size());
    version->items().score(side, dense, scores);
    version->record(scores, side);

    out.array(items->size());
    for (int s : slot) {
      if (s < 0) {
        out.null();
      } else {
        out.real(scores[static_cast<std::size_t>(s)]);
      }
    }
  };
  serve(call.ctx, std::move(task));
}

}  // namespace

int register_model_commands(RedisModuleCtx* ctx) {
  static const CommandSpec kSpecs[] = {
      {"reco.model.put", run<model_put, -4>, "write deny-oom", 0, 0, 0},
      {"reco.model.activate", run<model_activate, 3>, "write", 0, 0, 0},
      {"reco.model.rollback", run<model_rollback, 2>, "write", 0, 0, 0},
      // Deleting frees memory, so it must work when the server is out of memory.
      {"reco.model.del", run<model_del, -3>, "write", 0, 0, 0},
      {"reco.model.split", run<model_split, -3>, "write", 0, 0, 0},
      {"reco.model.list", run<model_list, 2>, "readonly fast", 0, 0, 0},
      {"reco.model.info", run<model_info, 3>, "readonly fast", 0, 0, 0},
      {"reco.score", run<score_command, -5>, "readonly", 2, 2, 1},
  };
  return register_commands(ctx, kSpecs);
}

}  // namespace reco::glue
