// Command entry, error replies and registration (see command.hpp).
#include "command.hpp"

#include <new>
#include <vector>

#include "reco/error.hpp"

namespace reco::glue {

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
    handler(Call{ctx, argv, args});
  } catch (...) {
    reply_error(ctx, current_error_reply());
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
    } catch (const std::bad_alloc&) {
      return "ERR out of memory";
    } catch (...) {
      return "ERR internal error";
    }
  } catch (...) {
    return "ERR out of memory";  // building the message itself failed
  }
}

int register_commands(RedisModuleCtx* ctx, std::span<const CommandSpec> specs) {
  for (const CommandSpec& s : specs) {
    if (RedisModule_CreateCommand(ctx, s.name, s.func, s.flags, s.first_key, s.last_key,
                                  s.key_step) == REDISMODULE_ERR) {
      RedisModule_Log(ctx, "warning", "could not register command %s", s.name);
      return REDISMODULE_ERR;
    }
  }
  return REDISMODULE_OK;
}

}  // namespace reco::glue
