// RECO.RECOMMEND, RECO.SIMILAR, RECO.KNN: the read-only queries.
//
// RECOMMEND declares only the user key (position 2), so a cluster client routes it to the
// user's shard, which answers from its local copy of the catalog. Item ids in SESSION and
// EXCLUDE that the catalog does not know are skipped rather than rejected: a client's
// session may name items that were deleted since, and that must not fail the request.
#include <array>
#include <cctype>
#include <cmath>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "args.hpp"
#include "command.hpp"
#include "reco/catalog.hpp"
#include "reco/error.hpp"
#include "reco/item_filter.hpp"
#include "reco/recommender.hpp"
#include "model_args.hpp"
#include "reco/index_config.hpp"
#include "registry.hpp"
#include "user_type.hpp"

namespace reco::glue {

namespace {

struct DenseIds {
  std::vector<std::uint32_t> ids;
  std::size_t skipped = 0;  // ids the catalog does not hold
};

DenseIds to_dense(const Catalog& catalog, std::span<const std::string_view> ids) {
  DenseIds out;
  out.ids.reserve(ids.size());
  for (std::string_view id : ids) {
    if (auto d = catalog.find(id)) {
      out.ids.push_back(*d);
    } else {
      ++out.skipped;
    }
  }
  return out;
}

long long next_k(ArgCursor& args) {
  return args.next_integer("K", 1, static_cast<long long>(kMaxK));
}

void reply_hits(RedisModuleCtx* ctx, const Catalog& catalog, const std::vector<Hit>& hits,
                bool with_scores) {
  RedisModule_ReplyWithArray(ctx, static_cast<long>(hits.size() * (with_scores ? 2 : 1)));
  for (const Hit& h : hits) {
    reply_string(ctx, view(catalog.item(h.id).id));
    if (with_scores) RedisModule_ReplyWithDouble(ctx, h.score);
  }
}

void reply_stat(RedisModuleCtx* ctx, std::string_view name, long long value) {
  reply_string(ctx, name);
  RedisModule_ReplyWithLongLong(ctx, value);
}

long long whole_us(double us) { return std::llround(us); }

// HASTERM <n> term...: the terms, kept for the allow-list.
std::vector<std::string> next_terms(ArgCursor& args) {
  std::vector<std::string_view> t = args.next_counted("HASTERM", 1);
  if (t.empty()) throw Error("HASTERM count must be at least 1");
  return {t.begin(), t.end()};
}

std::size_t next_ef(ArgCursor& args) {
  return static_cast<std::size_t>(args.next_integer("EF", 1, kMaxEf));
}

// RECO.RECOMMEND <catalog> <user-key> <K> [SESSION <n> item...] [EXCLUDE <n> item...]
//   [HASTERM <n> term...] [BUDGET VECTOR|TERM|SESSION|POPULAR <n>]
//   [WEIGHT VECTOR|TERM|SESSION|POPULAR <w>] [MODEL <version>|NONE]
//   [CONTEXT <n> <name> <value>...] [EF <n>] [WITHSCORES] [EXPLAIN]
void recommend_command(const Call& call) {
  const Catalog& catalog = registry().get(call.args[1]);
  ArgCursor args(call.args, 3);
  RecommendRequest req;
  req.k = static_cast<std::size_t>(next_k(args));
  // The catalog's blend (RECO.CATALOG.CONFIG); the popular budget follows K unless set.
  req.use_blend(catalog.blend());

  constexpr std::array<std::string_view, 10> kOptions{
      "SESSION", "EXCLUDE", "HASTERM", "BUDGET", "WEIGHT", "MODEL", "CONTEXT", "EF",
      "WITHSCORES", "EXPLAIN"};
  ModelChoice model;
  OptionsSeen seen;
  bool with_scores = false;
  DenseIds session, exclude;
  while (!args.done()) {
    std::string_view opt = args.next_option(kOptions);
    if (opt == "BUDGET" || opt == "WEIGHT") {
      std::string_view src_name = args.next(std::string(opt) + " source");
      auto src = parse_source(src_name);
      if (!src) throw Error(std::string(opt) + " source must be VECTOR, TERM, SESSION or POPULAR");
      std::string label = std::string(opt) + " " + std::string(source_name(*src));
      for (char& c : label) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      seen.mark(label);
      if (opt == "BUDGET") {
        req.source(*src).budget =
            static_cast<std::size_t>(args.next_integer(label, 0, static_cast<long long>(kMaxBudget)));
      } else {
        req.source(*src).weight = args.next_double_at_least(label, 0.0);
      }
      continue;
    }
    seen.mark(opt);
    if (opt == "SESSION") {
      session = to_dense(catalog, args.next_counted("SESSION", 1));
    } else if (opt == "EXCLUDE") {
      exclude = to_dense(catalog, args.next_counted("EXCLUDE", 1));
    } else if (opt == "HASTERM") {
      req.only_terms = next_terms(args);
    } else if (opt == "MODEL") {
      model.parse_model(args);
    } else if (opt == "CONTEXT") {
      model.parse_context(args);
    } else if (opt == "EF") {
      req.ef = next_ef(args);
    } else if (opt == "WITHSCORES") {
      with_scores = true;
    } else {
      req.explain = true;
    }
  }
  req.session = std::move(session.ids);
  req.model = model.resolve(catalog, call.args[2]);
  req.user_key = call.args[2];
  req.context = model.context();
  req.exclude = std::move(exclude.ids);

  UserKey key(call.ctx, call.argv[2], false);
  const UserProfile* user = key.profile();
  if (user && !user->vector.empty() && user->vector.size() != catalog.dim()) {
    throw Error("user vector has " + std::to_string(user->vector.size()) + " dims, catalog " +
                quoted(catalog.name()) + " has " + std::to_string(catalog.dim()));
  }

  RecommendResult result = recommend(catalog, user, req);

  RedisModuleCtx* ctx = call.ctx;
  if (!req.explain) {
    RedisModule_ReplyWithArray(ctx, static_cast<long>(result.items.size() * (with_scores ? 2 : 1)));
    for (const Recommendation& r : result.items) {
      reply_string(ctx, view(catalog.item(r.id).id));
      if (with_scores) RedisModule_ReplyWithDouble(ctx, r.score);
    }
    return;
  }

  RedisModule_ReplyWithArray(ctx, 4);
  reply_string(ctx, "items");
  RedisModule_ReplyWithArray(ctx, static_cast<long>(result.items.size()));
  for (const Recommendation& r : result.items) {
    RedisModule_ReplyWithArray(ctx, 3);
    reply_string(ctx, view(catalog.item(r.id).id));
    RedisModule_ReplyWithDouble(ctx, r.score);
    long n = 0;
    for (std::size_t s = 0; s < kSourceCount; ++s) n += (r.sources >> s) & 1u;
    RedisModule_ReplyWithArray(ctx, n);
    for (std::size_t s = 0; s < kSourceCount; ++s) {
      if ((r.sources >> s) & 1u) reply_string(ctx, source_name(static_cast<Source>(s)));
    }
  }
  const RecommendStats& st = result.stats;
  reply_string(ctx, "stats");
  RedisModule_ReplyWithArray(ctx, 24);
  reply_stat(ctx, "cold", st.cold ? 1 : 0);
  reply_string(ctx, "model");
  reply_string(ctx, st.model);
  reply_stat(ctx, "candidates", static_cast<long long>(st.candidates));
  for (std::size_t s = 0; s < kSourceCount; ++s) {
    reply_stat(ctx, "recalled_" + std::string(source_name(static_cast<Source>(s))),
               static_cast<long long>(st.recalled[s]));
  }
  reply_stat(ctx, "skipped_session", static_cast<long long>(session.skipped));
  reply_stat(ctx, "skipped_exclude", static_cast<long long>(exclude.skipped));
  reply_stat(ctx, "recall_us", whole_us(st.recall_us));
  reply_stat(ctx, "rank_us", whole_us(st.rank_us));
  reply_stat(ctx, "total_us", whole_us(st.total_us));
}

// EXCLUDE, HASTERM, EF and WITHSCORES, as RECO.SIMILAR and RECO.KNN both take them.
struct NeighbourOptions {
  ItemFilter filter;
  std::size_t ef = 0;
  bool with_scores = false;

  void take(std::string_view opt, ArgCursor& args, const Catalog& catalog) {
    if (opt == "EXCLUDE") {
      filter.exclude(to_dense(catalog, args.next_counted("EXCLUDE", 1)).ids);
    } else if (opt == "HASTERM") {
      filter.restrict_to(catalog.items_with_any_term(next_terms(args)));
    } else if (opt == "EF") {
      ef = next_ef(args);
    } else {
      with_scores = true;
    }
  }
};

// RECO.SIMILAR <catalog> <item> <K> [EXCLUDE <n> item...] [HASTERM <n> term...] [EF <n>]
//   [WITHSCORES]
void similar_command(const Call& call) {
  const Catalog& catalog = registry().get(call.args[1]);
  std::string_view id = call.args[2];
  auto dense = catalog.find(id);
  if (!dense) throw Error("no such item " + quoted(id) + " in catalog " + quoted(catalog.name()));
  ArgCursor args(call.args, 3);
  std::size_t k = static_cast<std::size_t>(next_k(args));

  constexpr std::array<std::string_view, 4> kOptions{"EXCLUDE", "HASTERM", "EF", "WITHSCORES"};
  OptionsSeen seen;
  NeighbourOptions o;
  while (!args.done()) {
    std::string_view opt = args.next_option(kOptions);
    seen.mark(opt);
    o.take(opt, args, catalog);
  }
  reply_hits(call.ctx, catalog, similar(catalog, *dense, k, o.filter, o.ef), o.with_scores);
}

// RECO.KNN <catalog> <K> (FP32 <blob> | VALUES <n> v...) [EXCLUDE <n> item...]
//   [HASTERM <n> term...] [EF <n>] [WITHSCORES]
void knn_command(const Call& call) {
  const Catalog& catalog = registry().get(call.args[1]);
  ArgCursor args(call.args, 2);
  std::size_t k = static_cast<std::size_t>(next_k(args));

  constexpr std::array<std::string_view, 6> kOptions{"FP32", "VALUES", "EXCLUDE", "HASTERM",
                                                     "EF", "WITHSCORES"};
  OptionsSeen seen;
  NeighbourOptions o;
  std::optional<std::vector<float>> query;
  while (!args.done()) {
    std::string_view opt = args.next_option(kOptions);
    if (opt == "FP32" || opt == "VALUES") {
      if (query) throw Error("only one of FP32 and VALUES may be given");
      query = vector_for_catalog(args.next_vector(opt), catalog.dim());
      continue;
    }
    seen.mark(opt);
    o.take(opt, args, catalog);
  }
  if (!query) throw Error("a query vector (FP32 <blob> or VALUES <n> v...) is required");
  reply_hits(call.ctx, catalog, nearest(catalog, *query, k, o.filter, o.ef), o.with_scores);
}

}  // namespace

int register_query_commands(RedisModuleCtx* ctx) {
  static const CommandSpec kSpecs[] = {
      {"reco.recommend", run<recommend_command, -4>, "readonly", 2, 2, 1},
      {"reco.similar", run<similar_command, -4>, "readonly", 0, 0, 0},
      {"reco.knn", run<knn_command, -3>, "readonly", 0, 0, 0},
  };
  return register_commands(ctx, kSpecs);
}

}  // namespace reco::glue
