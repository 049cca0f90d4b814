// Command entry, error replies and registration (see command.hpp).
#include "command.hpp"

#include <cctype>
#include <new>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "reco/error.hpp"
#include "reco/memory.hpp"
#include "catalog_acl.hpp"
#include "command_stats.hpp"
#include "limits_config.hpp"
#include "memory_limit.hpp"
#include "write_guard.hpp"

namespace reco::glue {

namespace {

// Lower-case names ("parent|sub" for a subcommand) of the commands registered with the
// "write" flag (the ones write_guard.hpp checks on Redis 7.0) and with "deny-oom" (the ones
// that run under a growth limit, memory_limit.hpp).
constexpr unsigned kWrite = 1, kGrowing = 2;
std::unordered_map<std::string, unsigned>& command_flags() {
  static std::unordered_map<std::string, unsigned> names;
  return names;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool has_flag(const char* flags, std::string_view flag) {
  std::string_view f(flags);
  for (std::size_t pos = 0; pos < f.size();) {
    std::size_t end = f.find(' ', pos);
    if (end == std::string_view::npos) end = f.size();
    if (f.substr(pos, end - pos) == flag) return true;
    pos = end + 1;
  }
  return false;
}

unsigned flags_of_call(std::span<const std::string_view> args) {
  const auto& names = command_flags();
  std::string name = lower(args[0]);
  if (auto it = names.find(name); it != names.end()) return it->second;
  if (args.size() < 2) return 0;
  auto it = names.find(name + "|" + lower(args[1]));
  return it == names.end() ? 0 : it->second;
}

void note_flags(const std::string& name, const char* flags) {
  const unsigned f = (has_flag(flags, "write") ? kWrite : 0) | (has_flag(flags, "deny-oom") ? kGrowing : 0);
  if (f) command_flags()[name] = f;
}

}  // namespace

void reply_error(RedisModuleCtx* ctx, std::string_view message) {
  std::string clean(message);
  for (char& c : clean) {
    if (c == '\r' || c == '\n' || c == '\0') c = ' ';
  }
  RedisModule_ReplyWithError(ctx, clean.c_str());
}

void reply_string(RedisModuleCtx* ctx, std::string_view s) {
  RedisModule_ReplyWithStringBuffer(ctx, s.data(), s.size());
}

int dispatch(RedisModuleCtx* ctx, RedisModuleString** argv, int argc, Handler handler) noexcept {
  // Replies are written as the handler goes, so a handler must fail before its first reply;
  // every handler parses and validates before it replies or changes anything, and a reply
  // whose building can throw (formatting, allocation) is recorded first and sent whole
  // (DeferredReply): an error caught here after a partial array would corrupt the stream.
  try {
    std::vector<std::string_view> args;
    args.reserve(static_cast<std::size_t>(argc));
    for (int i = 0; i < argc; ++i) {
      std::size_t len = 0;
      const char* p = RedisModule_StringPtrLen(argv[i], &len);
      args.emplace_back(p, len);
    }
    set_caps_enforced(
        !(RedisModule_GetContextFlags(ctx) & (REDISMODULE_CTX_FLAGS_REPLICATED | REDISMODULE_CTX_FLAGS_LOADING)));
    const unsigned flags = flags_of_call(args);
    const bool write = flags & kWrite;
    begin_call(args, write);
    if (write) check_may_write(ctx);
    check_catalog_access(ctx, args, write);
    std::optional<GrowthLimit> limit;
    if (flags & kGrowing) {
      if (auto headroom = write_headroom(ctx)) limit.emplace(*headroom);
    }
    handler(Call{ctx, argv, args});
    end_call(ctx, false);
  } catch (...) {
    reply_error(ctx, current_error_reply());
    end_call(ctx, true);
  }
  return REDISMODULE_OK;
}

std::string current_error_reply() noexcept {
  try {
    try {
      throw;
    } catch (const ReplyError& e) {
      return e.message;
    } catch (const Error& e) {
      return std::string("ERR ") + e.what();
    } catch (const MemoryLimitReached& e) {
      return std::string("OOM reco: ") + e.what();
    } catch (const std::bad_alloc&) {
      return kOutOfMemoryReply;
    } catch (...) {
      return "ERR internal error";
    }
  } catch (...) {
    return kOutOfMemoryReply;  // building the message itself failed
  }
}

int register_commands(RedisModuleCtx* ctx, std::span<const CommandSpec> specs) {
  for (const CommandSpec& s : specs) {
    if (RedisModule_CreateCommand(ctx, s.name, s.func, s.flags, s.first_key, s.last_key,
                                  s.key_step) == REDISMODULE_ERR) {
      RedisModule_Log(ctx, "warning", "could not register command %s", s.name);
      return REDISMODULE_ERR;
    }
    note_flags(lower(s.name), s.flags);
  }
  return REDISMODULE_OK;
}

int register_subcommands(RedisModuleCtx* ctx, const char* parent, std::span<const CommandSpec> specs) {
  // A container: no handler of its own, Redis dispatches on the subcommand name.
  if (RedisModule_CreateCommand(ctx, parent, nullptr, "", 0, 0, 0) == REDISMODULE_ERR) {
    RedisModule_Log(ctx, "warning", "could not register command %s", parent);
    return REDISMODULE_ERR;
  }
  RedisModuleCommand* container = RedisModule_GetCommand(ctx, parent);
  for (const CommandSpec& s : specs) {
    if (container == nullptr ||
        RedisModule_CreateSubcommand(container, s.name, s.func, s.flags, s.first_key, s.last_key,
                                     s.key_step) == REDISMODULE_ERR) {
      RedisModule_Log(ctx, "warning", "could not register command %s|%s", parent, s.name);
      return REDISMODULE_ERR;
    }
    note_flags(lower(std::string(parent) + "|" + s.name), s.flags);
  }
  return REDISMODULE_OK;
}

}  // namespace reco::glue
