// How a command handler is called, and how its failures become replies.
//
// Redis calls a plain C function; an exception escaping into redis-server would abort it.
// So every command enters through run<>(), which checks the arity, hands the handler the
// arguments as string views, and turns every exception into an error reply: reco::Error ->
// "ERR <message>", std::bad_alloc -> "OOM reco: out of memory" (a step refused by the
// write's growth limit: "OOM reco: a step of ... would cross maxmemory ..."), ReplyError ->
// its own text (WRONGTYPE), anything else -> "ERR internal error". Handlers validate all
// arguments before they change anything, and a write takes its growth steps before its
// first change, so an error reply always means nothing happened.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "redismodule.h"

namespace reco::glue {

inline constexpr const char* kOutOfMemoryReply = "OOM reco: out of memory";

// A failure whose reply does not start with "ERR" (the full reply text, code included).
struct ReplyError {
  std::string message;
};

struct Call {
  RedisModuleCtx* ctx;
  RedisModuleString** argv;                // for key names
  std::span<const std::string_view> args;  // args[0] is the command name
};

using Handler = void (*)(const Call& call);

int dispatch(RedisModuleCtx* ctx, RedisModuleString** argv, int argc, Handler handler) noexcept;

// Arity as in COMMAND INFO: n > 0 exactly n arguments, n < 0 at least -n (name included).
template <Handler H, int Arity>
int run(RedisModuleCtx* ctx, RedisModuleString** argv, int argc) {
  if (Arity > 0 ? argc != Arity : argc < -Arity) return RedisModule_WrongArity(ctx);
  return dispatch(ctx, argv, argc, H);
}

struct CommandSpec {
  const char* name;
  RedisModuleCmdFunc func;
  const char* flags;
  int first_key, last_key, key_step;
};

// REDISMODULE_ERR if any registration fails (the module then refuses to load).
int register_commands(RedisModuleCtx* ctx, std::span<const CommandSpec> specs);
// A container command `parent` whose subcommands are `specs` (names without the parent);
// a subcommand's handler sees argv[0] = parent, argv[1] = its own name.
int register_subcommands(RedisModuleCtx* ctx, const char* parent, std::span<const CommandSpec> specs);

// The error reply for the exception being handled (call inside a catch block): the same
// mapping run<>() applies, for code that catches on another thread.
std::string current_error_reply() noexcept;

// Error replies cannot carry CR, LF or NUL; those become spaces.
void reply_error(RedisModuleCtx* ctx, std::string_view message);
void reply_string(RedisModuleCtx* ctx, std::string_view s);

// Each file of commands registers its own.
int register_catalog_commands(RedisModuleCtx* ctx);
int register_catalog_copy_commands(RedisModuleCtx* ctx);  // DUMP / RESTORE
int register_item_commands(RedisModuleCtx* ctx);
int register_user_commands(RedisModuleCtx* ctx);
int register_query_commands(RedisModuleCtx* ctx);
int register_model_commands(RedisModuleCtx* ctx);
// COMMAND DOCS / INFO metadata and (7.2+) ACL categories of all of the above (command_docs.cpp).
int register_command_docs(RedisModuleCtx* ctx);

}  // namespace reco::glue
