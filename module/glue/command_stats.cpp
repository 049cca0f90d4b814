// Per-command calls and latency histograms (see command_stats.hpp).
#include "command_stats.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cctype>
#include <map>

namespace reco::glue {

namespace {

// Bucket of a value in microseconds: 0..15 exactly, then 8 buckets per power of two.
constexpr std::size_t kSubBits = 3;
constexpr std::size_t kExact = 16;
constexpr std::size_t kBuckets = kExact + (64 - 4) * (1u << kSubBits);

std::size_t bucket_of(std::uint64_t us) noexcept {
  if (us < kExact) return static_cast<std::size_t>(us);
  const unsigned e = 63u - static_cast<unsigned>(std::countl_zero(us));  // >= 4
  const std::size_t sub = static_cast<std::size_t>((us >> (e - kSubBits)) & ((1u << kSubBits) - 1));
  return kExact + (e - 4) * (1u << kSubBits) + sub;
}

// The largest value that falls in bucket b.
std::uint64_t upper_of(std::size_t b) noexcept {
  if (b < kExact) return b;
  const std::size_t e = 4 + (b - kExact) / (1u << kSubBits);
  const std::uint64_t sub = (b - kExact) % (1u << kSubBits);
  const std::uint64_t base = (std::uint64_t(1) << e) | (sub << (e - kSubBits));
  return base + (std::uint64_t(1) << (e - kSubBits)) - 1;
}

struct Stats {
  std::uint64_t calls = 0, errors = 0, max_us = 0;
  std::array<std::uint64_t, kBuckets> buckets{};

  void add(std::uint64_t us, bool error) noexcept {
    ++calls;
    if (error) ++errors;
    max_us = std::max(max_us, us);
    ++buckets[bucket_of(us)];
  }
  // The upper bound of the bucket holding the q-quantile (never above the maximum seen).
  std::uint64_t quantile(double q) const noexcept {
    if (calls == 0) return 0;
    const auto rank = static_cast<std::uint64_t>(q * static_cast<double>(calls - 1)) + 1;
    std::uint64_t seen = 0;
    for (std::size_t b = 0; b < kBuckets; ++b) {
      seen += buckets[b];
      if (seen >= rank) return std::min(upper_of(b), max_us);
    }
    return max_us;
  }
};

std::map<std::string, Stats>& table() {
  static std::map<std::string, Stats> t;
  return t;
}

CallClock g_current;
bool g_active = false;  // a call is being timed by dispatch() (not adopted)

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

void begin_call(std::span<const std::string_view> args, bool write) {
  g_active = false;
  g_current.name = lower(args[0]);
  if (g_current.name == "reco.catalog.config" && args.size() > 1) g_current.name += "|" + lower(args[1]);
  g_current.start_us = RedisModule_MonotonicMicroseconds();
  g_current.watch = write ? watch_catalog(args) : std::nullopt;
  g_active = true;
}

void end_call(RedisModuleCtx* ctx, bool error) noexcept {
  if (!g_active) return;
  g_active = false;
  record_call(ctx, g_current, error);
}

CallClock adopt_call() noexcept {
  g_active = false;
  CallClock out = std::move(g_current);
  g_current = CallClock{};
  return out;
}

void resume_call(CallClock call) noexcept {
  g_current = std::move(call);
  g_active = true;
}

void record_call(RedisModuleCtx* ctx, const CallClock& call, bool error) noexcept {
  if (call.name.empty()) return;
  // After the reply: nothing here may throw into the caller, which would reply again.
  try {
    if (!error && call.watch) notify_if_changed(ctx, *call.watch);
  } catch (...) {
  }
  const std::uint64_t now = RedisModule_MonotonicMicroseconds();
  const std::uint64_t us = now > call.start_us ? now - call.start_us : 0;
  try {
    table()[call.name].add(us, error);
  } catch (...) {
    return;  // statistics are not worth a failed command
  }
  if (us >= 1000) RedisModule_LatencyAddSample(call.name.c_str(), static_cast<long long>(us / 1000));
}

void add_command_stats_info(RedisModuleInfoCtx* ctx) {
  RedisModule_InfoAddSection(ctx, "commands");
  for (const auto& [name, s] : table()) {
    std::string field = name.rfind("reco.", 0) == 0 ? name.substr(5) : name;
    for (char& c : field)
      if (c == '.' || c == '|') c = '_';
    RedisModule_InfoBeginDictField(ctx, field.c_str());
    RedisModule_InfoAddFieldULongLong(ctx, "calls", s.calls);
    RedisModule_InfoAddFieldULongLong(ctx, "errors", s.errors);
    RedisModule_InfoAddFieldULongLong(ctx, "p50_us", s.quantile(0.50));
    RedisModule_InfoAddFieldULongLong(ctx, "p99_us", s.quantile(0.99));
    RedisModule_InfoAddFieldULongLong(ctx, "p999_us", s.quantile(0.999));
    RedisModule_InfoAddFieldULongLong(ctx, "max_us", s.max_us);
    RedisModule_InfoEndDictField(ctx);
  }
}

}  // namespace reco::glue
