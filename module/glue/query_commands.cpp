// RECO.RECOMMEND, RECO.SIMILAR, RECO.KNN: the read-only queries.
//
// RECOMMEND declares only the user key (position 2), so a cluster client routes it to the
// user's shard, which answers from its local copy of the catalog. Item ids in SESSION and
// EXCLUDE that the catalog does not know are skipped rather than rejected: a client's
// session may name items that were deleted since, and that must not fail the request.
//
// Each command is split in two (see serving/query_dispatch.hpp): a parse on the main thread
// that validates everything and gives today's errors, and an execute that may run on a
// worker. Everything that depends on the catalog's contents (dense ids, the model version,
// the HASTERM allow-list, the blend) is looked up again in execute, against the catalog as
// it is then, so a write between the two can never leave the query holding a freed item
// or a replaced model.
#include <array>
#include <cctype>
#include <cmath>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "args.hpp"
#include "command.hpp"
#include "limits_config.hpp"
#include "model_args.hpp"
#include "reco/catalog.hpp"
#include "reco/error.hpp"
#include "reco/index_config.hpp"
#include "reco/item_filter.hpp"
#include "reco/recommender.hpp"
#include "registry.hpp"
#include "serving/query_dispatch.hpp"
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
  long long k = args.next_integer("K", 1, static_cast<long long>(kMaxK));
  check_cap("K", k, "max-k", limits().max_k);
  return k;
}

void reply_hits(DeferredReply& out, const Catalog& catalog, const std::vector<Hit>& hits,
                bool with_scores) {
  out.array(hits.size() * (with_scores ? 2 : 1));
  for (const Hit& h : hits) {
    out.string(view(catalog.item(h.id).id));
    if (with_scores) out.real(h.score);
  }
}

void reply_stat(DeferredReply& out, std::string_view name, long long value) {
  out.string(name);
  out.integer(value);
}

long long whole_us(double us) { return std::llround(us); }

// HASTERM <n> term...: the terms, kept for the allow-list.
std::vector<std::string> next_terms(ArgCursor& args) {
  std::vector<std::string_view> t = args.next_counted("HASTERM", 1);
  if (t.empty()) throw Error("HASTERM count must be at least 1");
  return {t.begin(), t.end()};
}

std::size_t next_ef(ArgCursor& args) {
  long long ef = args.next_integer("EF", 1, kMaxEf);
  check_cap("EF", ef, "max-ef", limits().max_ef);
  return static_cast<std::size_t>(ef);
}

// What RECO.RECOMMEND asked for, independent of the catalog's contents.
struct RecommendPlan {
  std::size_t k = 0;
  std::vector<std::pair<Source, std::size_t>> budgets;  // BUDGET overrides, in order
  std::vector<std::pair<Source, double>> weights;       // WEIGHT overrides, in order
  std::vector<std::string_view> session, exclude;
  std::optional<std::vector<std::string>> only_terms;
  ModelChoice model;
  std::size_t ef = 0;
  bool with_scores = false, explain = false;
  std::string_view user_key;
};

// RECO.RECOMMEND <catalog> <user-key> <K> [SESSION <n> item...] [EXCLUDE <n> item...]
//   [HASTERM <n> term...] [BUDGET VECTOR|TERM|SESSION|POPULAR <n>]
//   [WEIGHT VECTOR|TERM|SESSION|POPULAR <w>] [MODEL <version>|NONE]
//   [CONTEXT <n> <name> <value>...] [EF <n>] [WITHSCORES] [EXPLAIN]
RecommendPlan parse_recommend(const Catalog& catalog, std::span<const std::string_view> argv) {
  ArgCursor args(argv, 3);
  RecommendPlan p;
  p.k = static_cast<std::size_t>(next_k(args));
  p.user_key = argv[2];

  constexpr std::array<std::string_view, 10> kOptions{
      "SESSION", "EXCLUDE", "HASTERM", "BUDGET", "WEIGHT", "MODEL", "CONTEXT", "EF",
      "WITHSCORES", "EXPLAIN"};
  OptionsSeen seen;
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
        long long budget = args.next_integer(label, 0, static_cast<long long>(kMaxBudget));
        check_cap(label, budget, "max-budget", limits().max_budget);
        p.budgets.emplace_back(*src, static_cast<std::size_t>(budget));
      } else {
        p.weights.emplace_back(*src, args.next_double_at_least(label, 0.0));
      }
      continue;
    }
    seen.mark(opt);
    if (opt == "SESSION") {
      p.session = args.next_counted("SESSION", 1);
    } else if (opt == "EXCLUDE") {
      p.exclude = args.next_counted("EXCLUDE", 1);
    } else if (opt == "HASTERM") {
      p.only_terms = next_terms(args);
    } else if (opt == "MODEL") {
      p.model.parse_model(args);
    } else if (opt == "CONTEXT") {
      p.model.parse_context(args);
    } else if (opt == "EF") {
      p.ef = next_ef(args);
    } else if (opt == "WITHSCORES") {
      p.with_scores = true;
    } else {
      p.explain = true;
    }
  }
  p.model.resolve(catalog, p.user_key);  // the error for a version the catalog lacks
  return p;
}

void execute_recommend(const Catalog& catalog, const RecommendPlan& p, const UserProfile* user,
                       DeferredReply& out) {
  RecommendRequest req;
  req.k = p.k;
  // The catalog's blend (RECO.CATALOG.CONFIG); the popular budget follows K unless set.
  req.use_blend(catalog.blend());
  for (const auto& [src, budget] : p.budgets) req.source(src).budget = budget;
  for (const auto& [src, weight] : p.weights) req.source(src).weight = weight;
  DenseIds session = to_dense(catalog, p.session);
  DenseIds exclude = to_dense(catalog, p.exclude);
  req.session = std::move(session.ids);
  req.exclude = std::move(exclude.ids);
  req.only_terms = p.only_terms;
  req.ef = p.ef;
  req.explain = p.explain;
  req.with_signals = p.explain;
  req.model = p.model.resolve(catalog, p.user_key);
  req.user_key = p.user_key;
  req.context = p.model.context();

  RecommendResult result = recommend(catalog, user, req);

  if (!req.explain) {
    out.array(result.items.size() * (p.with_scores ? 2 : 1));
    for (const Recommendation& r : result.items) {
      out.string(view(catalog.item(r.id).id));
      if (p.with_scores) out.real(r.score);
    }
    return;
  }

  out.array(4);
  out.string("items");
  out.array(result.items.size());
  for (std::size_t i = 0; i < result.items.size(); ++i) {
    const Recommendation& r = result.items[i];
    out.array(4);
    out.string(view(catalog.item(r.id).id));
    out.real(r.score);
    std::size_t n = 0;
    for (std::size_t s = 0; s < kSourceCount; ++s) n += (r.sources >> s) & 1u;
    out.array(n);
    for (std::size_t s = 0; s < kSourceCount; ++s) {
      if ((r.sources >> s) & 1u) out.string(source_name(static_cast<Source>(s)));
    }
    // The candidate values a model's candidate fields read (missing ones left out).
    const CandidateSignals& sg = result.signals[i];
    std::size_t present = 0;
    for (std::size_t v = 0; v < kCandidateValueCount; ++v)
      present += !std::isnan(sg.value(static_cast<CandidateValue>(v)));
    out.array(2 * present);
    for (std::size_t v = 0; v < kCandidateValueCount; ++v) {
      const float x = sg.value(static_cast<CandidateValue>(v));
      if (std::isnan(x)) continue;
      out.string(candidate_value_name(static_cast<CandidateValue>(v)));
      out.real(x);
    }
  }
  const RecommendStats& st = result.stats;
  out.string("stats");
  out.array(24);
  reply_stat(out, "cold", st.cold ? 1 : 0);
  out.string("model");
  out.string(st.model);
  reply_stat(out, "candidates", static_cast<long long>(st.candidates));
  for (std::size_t s = 0; s < kSourceCount; ++s) {
    reply_stat(out, "recalled_" + std::string(source_name(static_cast<Source>(s))),
               static_cast<long long>(st.recalled[s]));
  }
  reply_stat(out, "skipped_session", static_cast<long long>(session.skipped));
  reply_stat(out, "skipped_exclude", static_cast<long long>(exclude.skipped));
  reply_stat(out, "recall_us", whole_us(st.recall_us));
  reply_stat(out, "rank_us", whole_us(st.rank_us));
  reply_stat(out, "total_us", whole_us(st.total_us));
}

// The user's profile as the query will see it: a copy, taken on the main thread.
std::optional<UserProfile> read_user(const Call& call, const Catalog& catalog) {
  UserKey key(call.ctx, call.argv[2], false);
  const UserProfile* user = key.profile();
  if (!user) return std::nullopt;
  if (!user->vector.empty() && user->vector.size() != catalog.dim()) {
    throw Error("user vector has " + std::to_string(user->vector.size()) + " dims, catalog " +
                quoted(catalog.name()) + " has " + std::to_string(catalog.dim()));
  }
  return *user;
}

void recommend_command(const Call& call) {
  auto task = std::make_unique<QueryTask>(call);
  task->catalog = registry().handle(call.args[1]);
  const Catalog& catalog = task->catalog->unlocked();
  auto plan = std::make_shared<const RecommendPlan>(parse_recommend(catalog, task->args));
  auto user = std::make_shared<const std::optional<UserProfile>>(read_user(call, catalog));
  task->execute = [plan, user](const Catalog& c, DeferredReply& out) {
    execute_recommend(c, *plan, user->has_value() ? &**user : nullptr, out);
  };
  serve(call.ctx, std::move(task));
}

// EXCLUDE, HASTERM, EF and WITHSCORES, as RECO.SIMILAR and RECO.KNN both take them.
struct NeighbourOptions {
  std::vector<std::string_view> exclude;
  std::optional<std::vector<std::string>> only_terms;
  std::size_t ef = 0;
  bool with_scores = false;

  void take(std::string_view opt, ArgCursor& args) {
    if (opt == "EXCLUDE") {
      exclude = args.next_counted("EXCLUDE", 1);
    } else if (opt == "HASTERM") {
      only_terms = next_terms(args);
    } else if (opt == "EF") {
      ef = next_ef(args);
    } else {
      with_scores = true;
    }
  }
  ItemFilter filter(const Catalog& catalog) const {
    ItemFilter f;
    f.exclude(to_dense(catalog, exclude).ids);
    if (only_terms) f.restrict_to(catalog.items_with_any_term(*only_terms));
    return f;
  }
};

std::uint32_t item_of(const Catalog& catalog, std::string_view id) {
  auto dense = catalog.find(id);
  if (!dense) throw Error("no such item " + quoted(id) + " in catalog " + quoted(catalog.name()));
  return *dense;
}

// RECO.SIMILAR <catalog> <item> <K> [EXCLUDE <n> item...] [HASTERM <n> term...] [EF <n>]
//   [WITHSCORES]
void similar_command(const Call& call) {
  auto task = std::make_unique<QueryTask>(call);
  task->catalog = registry().handle(call.args[1]);
  const Catalog& catalog = task->catalog->unlocked();
  std::string_view id = task->args[2];
  item_of(catalog, id);
  ArgCursor args(task->args, 3);
  const std::size_t k = static_cast<std::size_t>(next_k(args));

  constexpr std::array<std::string_view, 4> kOptions{"EXCLUDE", "HASTERM", "EF", "WITHSCORES"};
  OptionsSeen seen;
  auto o = std::make_shared<NeighbourOptions>();
  while (!args.done()) {
    std::string_view opt = args.next_option(kOptions);
    seen.mark(opt);
    o->take(opt, args);
  }
  task->execute = [id, k, o](const Catalog& c, DeferredReply& out) {
    reply_hits(out, c, similar(c, item_of(c, id), k, o->filter(c), o->ef), o->with_scores);
  };
  serve(call.ctx, std::move(task));
}

// RECO.KNN <catalog> <K> (FP32 <blob> | VALUES <n> v...) [EXCLUDE <n> item...]
//   [HASTERM <n> term...] [EF <n>] [WITHSCORES]
void knn_command(const Call& call) {
  auto task = std::make_unique<QueryTask>(call);
  task->catalog = registry().handle(call.args[1]);
  const Catalog& catalog = task->catalog->unlocked();
  ArgCursor args(task->args, 2);
  const std::size_t k = static_cast<std::size_t>(next_k(args));

  constexpr std::array<std::string_view, 6> kOptions{"FP32", "VALUES", "EXCLUDE", "HASTERM",
                                                     "EF", "WITHSCORES"};
  OptionsSeen seen;
  auto o = std::make_shared<NeighbourOptions>();
  std::shared_ptr<std::vector<float>> query;
  while (!args.done()) {
    std::string_view opt = args.next_option(kOptions);
    if (opt == "FP32" || opt == "VALUES") {
      if (query) throw Error("only one of FP32 and VALUES may be given");
      query = std::make_shared<std::vector<float>>(
          vector_for_catalog(args.next_vector(opt), catalog.dim()));
      continue;
    }
    seen.mark(opt);
    o->take(opt, args);
  }
  if (!query) throw Error("a query vector (FP32 <blob> or VALUES <n> v...) is required");
  task->execute = [k, o, query](const Catalog& c, DeferredReply& out) {
    reply_hits(out, c, nearest(c, *query, k, o->filter(c), o->ef), o->with_scores);
  };
  serve(call.ctx, std::move(task));
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
