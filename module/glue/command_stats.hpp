// Per-command calls, errors and latency, for INFO reco (section reco_commands) and Redis's
// LATENCY monitor.
//
// Why it is shaped so: Redis's own commandstats time a blocked command's parse and reply
// callback only, not its time on a worker, so a threaded RECO.RECOMMEND would look like
// 15 us however long its client waited. Here a call is timed from dispatch() to the moment
// its reply is written: inline, around the handler; blocked, dispatch() hands its start to
// the code that blocks the client (adopt_call()), whose reply callback records it. Latency
// is kept in a log-linear histogram (8 buckets per power of two: a percentile is reported
// as its bucket's upper bound, within 1/8 of the true value), so recording is O(1) and
// INFO is O(commands). Every call of 1 ms or more is offered to
// RedisModule_LatencyAddSample under the command's name (`LATENCY LATEST` shows it when
// latency-monitor-threshold is set and exceeded). The end of a call is also where a catalog
// change is published (catalog_events.hpp). State: main thread only (dispatch,
// reply callbacks and INFO all run there).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "catalog_events.hpp"
#include "redismodule.h"

namespace reco::glue {

// A call in flight: its name (lower case, "parent|sub" for a subcommand) and start, and for
// a write that names a catalog, the catalog's state before it (catalog_events.hpp), so that
// the end of the call publishes a change notification.
struct CallClock {
  std::string name;
  std::uint64_t start_us = 0;
  std::optional<CatalogWatch> watch;
};

// Called by dispatch() around every handler.
void begin_call(std::span<const std::string_view> args, bool write);
void end_call(RedisModuleCtx* ctx, bool error) noexcept;

// For a handler that blocks its client: the current call, which end_call() then leaves alone.
CallClock adopt_call() noexcept;
// Gives an adopted call back to dispatch() (the client could not be blocked after all).
void resume_call(CallClock call) noexcept;
// From the reply callback of a blocked call.
void record_call(RedisModuleCtx* ctx, const CallClock& call, bool error) noexcept;

// INFO section "reco_commands": one field per command called since load,
// `<name>:calls=…,errors=…,p50_us=…,p99_us=…,p999_us=…,max_us=…` (name without "reco.", dots
// and bars as underscores: recommend, catalog_config_get).
void add_command_stats_info(RedisModuleInfoCtx* ctx);

}  // namespace reco::glue
