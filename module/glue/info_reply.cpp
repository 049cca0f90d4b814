// Flat name/value replies (see info_reply.hpp).
#include "info_reply.hpp"

#include "command.hpp"

namespace reco::glue {

void InfoReply::send(RedisModuleCtx* ctx) const {
  RedisModule_ReplyWithArray(ctx, static_cast<long>(2 * fields_.size()));
  for (const Field& f : fields_) {
    reply_string(ctx, f.name);
    if (const auto* s = std::get_if<std::string>(&f.value)) {
      reply_string(ctx, *s);
    } else if (const auto* i = std::get_if<long long>(&f.value)) {
      RedisModule_ReplyWithLongLong(ctx, *i);
    } else {
      RedisModule_ReplyWithDouble(ctx, std::get<double>(f.value));
    }
  }
}

}  // namespace reco::glue
