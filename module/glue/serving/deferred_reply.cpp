// Writing a recorded reply (see deferred_reply.hpp).
#include "serving/deferred_reply.hpp"

#include "command.hpp"

namespace reco::glue {

void DeferredReply::send(RedisModuleCtx* ctx) const {
  for (const Entry& e : entries_) {
    switch (e.kind) {
      case Kind::Array:
        RedisModule_ReplyWithArray(ctx, static_cast<long>(e.n));
        break;
      case Kind::String:
        RedisModule_ReplyWithStringBuffer(ctx, bytes_.data() + e.off, static_cast<std::size_t>(e.n));
        break;
      case Kind::Double:
        RedisModule_ReplyWithDouble(ctx, e.d);
        break;
      case Kind::Integer:
        RedisModule_ReplyWithLongLong(ctx, e.n);
        break;
      case Kind::Null:
        RedisModule_ReplyWithNull(ctx);
        break;
      case Kind::Error:
        reply_error(ctx, std::string_view(bytes_.data() + e.off, static_cast<std::size_t>(e.n)));
        break;
    }
  }
}

}  // namespace reco::glue
