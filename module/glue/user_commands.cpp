// RECO.USER.SET / GET / SEEN.ADD / SEEN.DEL / SEEN.HAS: user profiles stored as keys.
//
// Each command declares its one key (first=last=1), so cluster clients route it to the
// user's shard and ACL key patterns apply. SET builds every new field value before it opens
// the key for writing, then moves them in, so a rejected command leaves the profile as it was.
#include <array>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string_view>
#include <vector>

#include "args.hpp"
#include "command.hpp"
#include "limits_config.hpp"
#include "reco/error.hpp"
#include "reco/fingerprint.hpp"
#include "reco/user_profile.hpp"
#include "reco/vector_codec.hpp"
#include "serving/deferred_reply.hpp"
#include "user_type.hpp"

namespace reco::glue {

namespace {

std::vector<std::uint64_t> fingerprints_of(std::span<const std::string_view> ids) {
  std::vector<std::uint64_t> fps;
  fps.reserve(ids.size());
  for (std::string_view id : ids) fps.push_back(fingerprint(id));
  return fps;
}

void notify(const Call& call, const char* event) {
  RedisModule_NotifyKeyspaceEvent(call.ctx, REDISMODULE_NOTIFY_MODULE, event, call.argv[1]);
}

// RECO.USER.SET <key> [FP32 <blob> | VALUES <n> v...] [TERMS <n> term weight ...]
//   [FEATURES <n> name value ...] [SEEN <n> item ...] [SEENFP <blob>]
// SEENFP (a blob of little-endian uint64 fingerprints) is what AOF rewrite emits to restore
// a seen-set whose item ids are not stored.
void user_set(const Call& call) {
  constexpr std::array<std::string_view, 6> kOptions{"FP32",     "VALUES", "TERMS",
                                                     "FEATURES", "SEEN",   "SEENFP"};
  ArgCursor args(call.args, 2);
  OptionsSeen seen_opts;
  std::optional<Vec<float>> vector;
  std::optional<Vec<WeightedTerm>> terms;
  std::optional<Vec<Feature>> features;
  std::optional<std::vector<std::uint64_t>> seen;
  while (!args.done()) {
    std::string_view opt = args.next_option(kOptions);
    if (opt == "FP32" || opt == "VALUES") {
      if (vector) throw Error("only one of FP32 and VALUES may be given");
      std::vector<float> v = vector_any_dim(args.next_vector(opt));
      vector.emplace(v.begin(), v.end());
      continue;
    }
    if (opt == "SEEN" || opt == "SEENFP") {
      if (seen) throw Error("only one of SEEN and SEENFP may be given");
      if (opt == "SEEN") {
        seen = fingerprints_of(args.next_counted("SEEN", 1));
      } else {
        std::string_view blob = args.next("SEENFP blob");
        if (blob.size() % sizeof(std::uint64_t) != 0) {
          throw Error("SEENFP blob must be a multiple of 8 bytes (little-endian uint64 values)");
        }
        std::vector<std::uint64_t> fps(blob.size() / sizeof(std::uint64_t));
        if (!blob.empty()) std::memcpy(fps.data(), blob.data(), blob.size());
        seen = std::move(fps);
      }
      continue;
    }
    seen_opts.mark(opt);
    if (opt == "TERMS") {
      auto pairs = args.next_counted("TERMS", 2);
      reject_duplicates("TERMS", pairs, 2);
      Vec<WeightedTerm> t;
      t.reserve(pairs.size() / 2);
      for (std::size_t i = 0; i < pairs.size(); i += 2) {
        double w;
        if (!parse_finite_double(pairs[i + 1], w) || w > 3.4e38 || w < -3.4e38) {
          throw Error("TERMS weight of " + quoted(pairs[i]) + " must be a finite number");
        }
        t.push_back(WeightedTerm{to_string(pairs[i]), static_cast<float>(w)});
      }
      terms = std::move(t);
    } else {
      auto pairs = args.next_counted("FEATURES", 2);
      reject_duplicates("FEATURES", pairs, 2);
      Vec<Feature> f;
      f.reserve(pairs.size() / 2);
      for (std::size_t i = 0; i < pairs.size(); i += 2) {
        f.push_back(Feature{to_string(pairs[i]), to_string(pairs[i + 1])});
      }
      features = std::move(f);
    }
  }

  // Everything that allocates is built before the first change (the profile itself is
  // allocated before the key is created), so a refused allocation leaves the key as it was.
  std::optional<SeenSet> seen_set;
  if (seen) seen_set.emplace().assign(*seen);
  UserKey key(call.ctx, call.argv[1], true);
  UserProfile& u = key.profile_or_create();
  if (vector) u.vector = std::move(*vector);
  if (terms) u.terms = std::move(*terms);
  if (features) u.features = std::move(*features);
  if (seen_set) u.seen = std::move(*seen_set);
  notify(call, "reco.user.set");
  RedisModule_ReplicateVerbatim(call.ctx);
  RedisModule_ReplyWithSimpleString(call.ctx, "OK");
}

// RECO.USER.GET <key>
void user_get(const Call& call) {
  UserKey key(call.ctx, call.argv[1], false);
  const UserProfile* u = key.profile();
  RedisModuleCtx* ctx = call.ctx;
  if (!u) {
    RedisModule_ReplyWithNull(ctx);
    return;
  }
  // Recorded first, sent whole (see dispatch in command.cpp): nothing throws once replying.
  DeferredReply r;
  r.array(8);
  r.string("vector");
  if (u->vector.empty()) {
    r.null();
  } else {
    r.array(u->vector.size());
    for (float v : u->vector) r.string(format_float(v));
  }
  r.string("terms");
  r.array(u->terms.size() * 2);
  for (const WeightedTerm& t : u->terms) {
    r.string(view(t.term));
    r.string(format_float(t.weight));
  }
  r.string("features");
  r.array(u->features.size() * 2);
  for (const Feature& f : u->features) {
    r.string(view(f.name));
    r.string(view(f.value));
  }
  r.string("seen_count");
  r.integer(static_cast<long long>(u->seen.size()));
  r.send(ctx);
}

// RECO.USER.SEEN.ADD <key> <item> [<item> ...]
void user_seen_add(const Call& call) {
  check_cap("items", static_cast<long long>(call.args.size() - 2), "max-list", limits().max_list);
  std::vector<std::uint64_t> fps = fingerprints_of(call.args.subspan(2));
  UserKey key(call.ctx, call.argv[1], true);
  std::size_t added;
  if (UserProfile* u = key.profile()) {
    added = u->seen.add(fps);  // merges aside, then swaps: unchanged if it throws
  } else {
    SeenSet fresh;  // filled before the key exists, so a refused allocation creates nothing
    added = fresh.add(fps);
    key.profile_or_create().seen = std::move(fresh);
  }
  // A missing key is always created with at least one item, so added > 0 covers creation.
  if (added > 0) {
    notify(call, "reco.user.seen.add");
    RedisModule_ReplicateVerbatim(call.ctx);
  }
  RedisModule_ReplyWithLongLong(call.ctx, static_cast<long long>(added));
}

// RECO.USER.SEEN.DEL <key> <item> [<item> ...]
void user_seen_del(const Call& call) {
  check_cap("items", static_cast<long long>(call.args.size() - 2), "max-list", limits().max_list);
  std::vector<std::uint64_t> fps = fingerprints_of(call.args.subspan(2));
  UserKey key(call.ctx, call.argv[1], true);
  std::size_t removed = key.profile() ? key.profile()->seen.remove(fps) : 0;
  if (removed > 0) {
    notify(call, "reco.user.seen.del");
    RedisModule_ReplicateVerbatim(call.ctx);
  }
  RedisModule_ReplyWithLongLong(call.ctx, static_cast<long long>(removed));
}

// RECO.USER.SEEN.HAS <key> <item>
void user_seen_has(const Call& call) {
  UserKey key(call.ctx, call.argv[1], false);
  const UserProfile* u = key.profile();
  RedisModule_ReplyWithLongLong(call.ctx, u && u->seen.contains(fingerprint(call.args[2])) ? 1 : 0);
}

}  // namespace

int register_user_commands(RedisModuleCtx* ctx) {
  static const CommandSpec kSpecs[] = {
      {"reco.user.set", run<user_set, -2>, "write deny-oom", 1, 1, 1},
      {"reco.user.get", run<user_get, 2>, "readonly fast", 1, 1, 1},
      {"reco.user.seen.add", run<user_seen_add, -3>, "write deny-oom", 1, 1, 1},
      // Removing frees memory, so it must work when the server is out of memory.
      {"reco.user.seen.del", run<user_seen_del, -3>, "write", 1, 1, 1},
      {"reco.user.seen.has", run<user_seen_has, 3>, "readonly fast", 1, 1, 1},
  };
  return register_commands(ctx, kSpecs);
}

}  // namespace reco::glue
