// RECO.CATALOG.CREATE / DROP / INFO / LIST / CONFIG GET|SET.
//
// Catalogs are node-level objects, not keys, so these commands declare no keys (they run on
// whichever node they are sent to; a loader sends them to every master). Writes replicate
// verbatim, which also appends them to the AOF.
#include <array>
#include <cctype>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "aof_preamble.hpp"
#include "args.hpp"
#include "catalog_acl.hpp"
#include "command.hpp"
#include "info_reply.hpp"
#include "limits_config.hpp"
#include "reco/blend.hpp"
#include "reco/catalog.hpp"
#include "reco/catalog_digest.hpp"
#include "reco/error.hpp"
#include "reco/index_config.hpp"
#include "reco/metric.hpp"
#include "registry.hpp"

namespace reco::glue {

namespace {

// A BIAS_DIM value for a catalog of `dim` dimensions: LAST, NONE or a 0-based index
// (checked again by Catalog::set_bias_dim, whose error names the range).
std::optional<std::uint32_t> parse_bias_dim(std::string_view value, std::size_t dim) {
  if (equals_nocase(value, "NONE")) return std::nullopt;
  if (dim < 2) throw Error("BIAS_DIM needs a catalog of at least 2 dimensions");
  if (equals_nocase(value, "LAST")) return static_cast<std::uint32_t>(dim - 1);
  const std::string_view one[] = {value};
  ArgCursor cursor(one, 0);
  try {
    return static_cast<std::uint32_t>(cursor.next_integer("BIAS_DIM", 0, static_cast<long long>(dim) - 1));
  } catch (const Error&) {
    throw Error("BIAS_DIM must be LAST, NONE or an integer between 0 and " + std::to_string(dim - 1));
  }
}

// NONE or the dimension's index, as CONFIG GET and CATALOG.INFO report it.
void add_bias_dim(InfoReply& r, std::string_view name, const Catalog& c) {
  if (auto b = c.bias_dim()) r.add(name, static_cast<long long>(*b));
  else r.add(name, "NONE");
}

// RECO.CATALOG.CREATE <catalog> DIM <d> [METRIC IP|COSINE|L2] [INDEX AUTO|FLAT|HNSW]
//   [M <m>] [EF_CONSTRUCTION <n>] [EF_RUNTIME <n>] [EXACT_BELOW <n>] [QUANT NONE|INT8]
//   [KEEP_FLOAT] [BIAS_DIM LAST|NONE|<i>]
void catalog_create(const Call& call) {
  ArgCursor args(call.args, 1);
  std::string_view name = args.next("catalog name");
  if (name.empty()) throw Error("catalog name must not be empty");

  constexpr std::array<std::string_view, 10> kOptions{
      "DIM", "METRIC", "INDEX", "M", "EF_CONSTRUCTION", "EF_RUNTIME", "EXACT_BELOW", "QUANT",
      "KEEP_FLOAT", "BIAS_DIM"};
  OptionsSeen seen;
  long long dim = 0;
  Metric metric = Metric::Cosine;
  IndexConfig index;
  std::optional<std::string_view> bias_value;  // resolved once DIM is known
  while (!args.done()) {
    std::string_view opt = args.next_option(kOptions);
    seen.mark(opt);
    if (opt == "DIM") {
      dim = args.next_integer("DIM", 1, static_cast<long long>(kMaxDim));
    } else if (opt == "METRIC") {
      auto m = parse_metric(args.next("METRIC value"));
      if (!m) throw Error("METRIC must be IP, COSINE or L2");
      metric = *m;
    } else if (opt == "INDEX") {
      auto k = parse_index_kind(args.next("INDEX value"));
      if (!k) throw Error("INDEX must be AUTO, FLAT or HNSW");
      index.kind = *k;
    } else if (opt == "M") {
      index.m = static_cast<std::uint32_t>(args.next_integer("M", 2, kMaxM));
    } else if (opt == "EF_CONSTRUCTION") {
      long long ef = args.next_integer("EF_CONSTRUCTION", 1, kMaxEf);
      check_cap("EF_CONSTRUCTION", ef, "max-ef", limits().max_ef);
      index.ef_construction = static_cast<std::uint32_t>(ef);
    } else if (opt == "EF_RUNTIME") {
      long long ef = args.next_integer("EF_RUNTIME", 1, kMaxEf);
      check_cap("EF_RUNTIME", ef, "max-ef", limits().max_ef);
      index.ef_runtime = static_cast<std::uint32_t>(ef);
    } else if (opt == "EXACT_BELOW") {
      index.exact_below = static_cast<std::uint32_t>(args.next_integer("EXACT_BELOW", 0, UINT32_MAX));
    } else if (opt == "QUANT") {
      auto q = parse_quantization(args.next("QUANT value"));
      if (!q) throw Error("QUANT must be NONE or INT8");
      index.quant = *q;
    } else if (opt == "BIAS_DIM") {
      bias_value = args.next("BIAS_DIM value");
    } else {
      index.keep_float = true;
    }
  }
  if (dim == 0) throw Error("DIM is required");
  if (index.keep_float && index.quant != Quantization::Int8)
    throw Error("KEEP_FLOAT needs QUANT INT8");
  if (seen.has("EXACT_BELOW") && index.kind != IndexKind::Auto)
    throw Error("EXACT_BELOW needs INDEX AUTO");
  if (index.kind == IndexKind::Flat &&
      (seen.has("M") || seen.has("EF_CONSTRUCTION") || seen.has("EF_RUNTIME")))
    throw Error("M, EF_CONSTRUCTION and EF_RUNTIME need INDEX HNSW or AUTO");
  index.validate();
  std::optional<std::uint32_t> bias_dim;
  if (bias_value) bias_dim = parse_bias_dim(*bias_value, static_cast<std::size_t>(dim));
  if (registry().contains(name)) throw Error("catalog " + quoted(name) + " already exists");

  registry().create(name, static_cast<std::size_t>(dim), metric, index, bias_dim);
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
  const IndexConfig& ix = c.index_config();
  InfoReply r;
  r.add("name", c.name());
  r.add("dim", c.dim());
  r.add("metric", metric_name(c.metric()));
  add_bias_dim(r, "bias_dim", c);
  r.add("items", c.size());
  r.add("items_with_vector", c.vectors().size());
  r.add("terms", c.terms().term_count());
  r.add("index", c.vectors().kind());
  r.add("index_type", index_kind_name(ix.kind));
  r.add("index_search", c.searches_exactly() ? "exact" : "graph");
  if (ix.uses_graph()) {
    r.add("index_m", ix.m);
    r.add("index_ef_construction", ix.ef_construction);
    r.add("index_ef_runtime", ix.ef_runtime);
    r.add("index_quant", quantization_name(ix.quant));
    r.add("index_keep_float", ix.keep_float ? 1 : 0);
  }
  if (ix.kind == IndexKind::Auto) r.add("index_exact_below", ix.exact_below);
  r.add("index_memory_bytes", c.vectors().memory_bytes());
  r.add("memory_bytes", c.memory_bytes());
  // An unsigned counter; it would need 2^63 writes to leave the signed range.
  r.add("version", c.version());
  const std::string digest = catalog_digest(c).hex();
  r.add("digest", digest);
  r.send(call.ctx);
}

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& ch : out) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  return out;
}

// Index settings that may change after creation; besides them and BIAS_DIM, everything
// CONFIG names is a blend parameter (reco/blend.hpp).
bool is_index_setting(std::string_view name) {
  return equals_nocase(name, "EF_RUNTIME") || equals_nocase(name, "EXACT_BELOW");
}

// RECO.CATALOG.CONFIG GET <catalog> [<param> ...]
// (a subcommand: args[0] is the container, args[1] "GET", args[2] the catalog)
void catalog_config_get(const Call& call) {
  const Catalog& c = registry().get(call.args[2]);
  std::span<const std::string_view> rest = call.args.subspan(3);
  InfoReply r;
  auto add_index = [&](std::string_view name) {
    if (equals_nocase(name, "EF_RUNTIME")) r.add("EF_RUNTIME", c.index_config().ef_runtime);
    else r.add("EXACT_BELOW", c.index_config().exact_below);
  };
  if (rest.empty()) {
    for (const auto& [name, value] : blend_params(c.blend())) r.add(name, value);
    add_index("EF_RUNTIME");
    add_index("EXACT_BELOW");
    add_bias_dim(r, "BIAS_DIM", c);
  }
  for (std::string_view name : rest) {
    if (equals_nocase(name, "BIAS_DIM")) {
      add_bias_dim(r, "BIAS_DIM", c);
    } else if (is_index_setting(name)) {
      add_index(name);
    } else if (auto v = blend_param(c.blend(), name)) {
      r.add(upper(name), *v);
    } else {
      throw Error("unknown parameter " + quoted(name));
    }
  }
  r.send(call.ctx);
}

// RECO.CATALOG.CONFIG SET <catalog> <param> <value> [<param> <value> ...]
// Flagged "write deny-oom", so Redis itself refuses it on a replica, under CLIENT PAUSE
// WRITE and in read-only scripts.
void catalog_config_set(const Call& call) {
  const Catalog& c = registry().get(call.args[2]);
  std::span<const std::string_view> rest = call.args.subspan(3);
  if (rest.empty() || rest.size() % 2 != 0) throw Error("SET takes <param> <value> pairs");
  reject_duplicates("SET", rest, 2);
  // All or nothing: apply to copies, install only when every pair was accepted.
  BlendConfig blend = c.blend();
  std::uint32_t ef = c.index_config().ef_runtime, exact_below = c.index_config().exact_below;
  std::optional<std::uint32_t> bias_dim = c.bias_dim();
  for (std::size_t i = 0; i < rest.size(); i += 2) {
    std::string_view name = rest[i];
    if (equals_nocase(name, "BIAS_DIM")) {
      bias_dim = parse_bias_dim(rest[i + 1], c.dim());
      continue;
    }
    if (is_index_setting(name)) {
      ArgCursor value(rest, i + 1);
      if (equals_nocase(name, "EF_RUNTIME")) {
        long long n = value.next_integer("EF_RUNTIME", 0, kMaxEf);
        check_cap("EF_RUNTIME", n, "max-ef", limits().max_ef);
        ef = static_cast<std::uint32_t>(n);
      } else {
        exact_below = static_cast<std::uint32_t>(value.next_integer("EXACT_BELOW", 0, UINT32_MAX));
      }
      continue;
    }
    double v = ArgCursor(rest, i + 1).next_finite_double("value of " + quoted(name));
    std::string why;
    if (!set_blend_param(blend, name, v, &why)) throw Error(why);
    if (name.size() > 7 && equals_nocase(name.substr(0, 7), "BUDGET."))
      check_cap(upper(name), static_cast<long long>(v), "max-budget", limits().max_budget);
  }
  // Only what differs is applied, so re-sending the same settings leaves the catalog's
  // version alone (it is still replicated: the replica may lag behind).
  const bool settings_differ = ef != c.index_config().ef_runtime || exact_below != c.index_config().exact_below;
  const bool blend_differs = !(blend == c.blend());
  const bool bias_differs = bias_dim != c.bias_dim();
  if (settings_differ || blend_differs || bias_differs) {
    auto w = registry().write(call.args[2]);
    if (settings_differ) w->set_query_settings(ef, exact_below);
    if (blend_differs) w->set_blend(blend);
    if (bias_differs) w->set_bias_dim(bias_dim);  // validated above: cannot throw
  }
  RedisModule_ReplicateVerbatim(call.ctx);
  RedisModule_ReplyWithSimpleString(call.ctx, "OK");
}

// RECO.CATALOG.LIST
void catalog_list(const Call& call) {
  // Only the catalogs the caller may read (catalog_acl.hpp): listed before the reply starts.
  std::vector<std::string_view> names;
  for (const auto& [name, catalog] : registry().all()) {
    if (may_read_catalog(call.ctx, name)) names.push_back(name);
  }
  RedisModule_ReplyWithArray(call.ctx, static_cast<long>(names.size()));
  for (std::string_view name : names) reply_string(call.ctx, name);
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
  // GET and SET are subcommands (the verb comes first) so that each has its own flags.
  static const CommandSpec kConfig[] = {
      {"get", run<catalog_config_get, -3>, "readonly fast", 0, 0, 0},
      {"set", run<catalog_config_set, -5>, "write deny-oom", 0, 0, 0},
  };
  if (register_commands(ctx, kSpecs) == REDISMODULE_ERR) return REDISMODULE_ERR;
  return register_subcommands(ctx, "reco.catalog.config", kConfig);
}

}  // namespace reco::glue
