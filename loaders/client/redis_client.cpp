// hiredis-backed connection and pipeline (see redis_client.hpp). Commands are
// encoded to RESP by CommandArgs and handed over pre-formatted, which skips
// hiredis's per-argument formatting on the bulk path.
#include "reco_offline/redis_client.hpp"

#include <hiredis/hiredis.h>

#include <sys/time.h>

namespace reco_offline {

struct RedisConnection::Impl {
  redisContext* ctx = nullptr;
};

namespace {

Reply convert(const redisReply* r) {
  Reply out;
  if (!r) return out;
  switch (r->type) {
    case REDIS_REPLY_STATUS: out.type = Reply::Type::Status; out.str.assign(r->str, r->len); break;
    case REDIS_REPLY_ERROR: out.type = Reply::Type::Error; out.str.assign(r->str, r->len); break;
    case REDIS_REPLY_INTEGER: out.type = Reply::Type::Integer; out.integer = r->integer; break;
    case REDIS_REPLY_STRING: out.type = Reply::Type::String; out.str.assign(r->str, r->len); break;
    case REDIS_REPLY_ARRAY:
      out.type = Reply::Type::Array;
      out.elements.reserve(r->elements);
      for (size_t i = 0; i < r->elements; ++i) out.elements.push_back(convert(r->element[i]));
      break;
    default: out.type = Reply::Type::Nil; break;
  }
  return out;
}

void render(const Reply& r, std::string& out, int indent) {
  switch (r.type) {
    case Reply::Type::Nil: out += "(nil)"; break;
    case Reply::Type::Status: out += r.str; break;
    case Reply::Type::Error: out += "(error) " + r.str; break;
    case Reply::Type::Integer: out += "(integer) " + std::to_string(r.integer); break;
    case Reply::Type::Double:
    case Reply::Type::String: out += "\"" + r.str + "\""; break;
    case Reply::Type::Array:
      if (r.elements.empty()) {
        out += "(empty array)";
        break;
      }
      for (size_t i = 0; i < r.elements.size(); ++i) {
        if (i) out += "\n" + std::string(static_cast<size_t>(indent), ' ');
        const std::string prefix = std::to_string(i + 1) + ") ";
        out += prefix;
        render(r.elements[i], out, indent + static_cast<int>(prefix.size()));
      }
      break;
  }
}

}  // namespace

std::string Reply::to_string() const {
  std::string out;
  render(*this, out, 0);
  return out;
}

RedisConnection::RedisConnection(const std::string& host, int port, int timeout_ms) : impl_(std::make_unique<Impl>()) {
  timeval tv{timeout_ms / 1000, (timeout_ms % 1000) * 1000};
  impl_->ctx = redisConnectWithTimeout(host.c_str(), port, tv);
  if (!impl_->ctx || impl_->ctx->err) {
    const std::string why = impl_->ctx ? impl_->ctx->errstr : "out of memory";
    throw RedisError("cannot connect to " + host + ":" + std::to_string(port) + ": " + why);
  }
  // The connect timeout would otherwise also bound every reply; a big load
  // or a slow query must not fail for that.
  timeval none{0, 0};
  redisSetTimeout(impl_->ctx, none);
}

RedisConnection::~RedisConnection() {
  if (impl_ && impl_->ctx) redisFree(impl_->ctx);
}

void RedisConnection::append(const CommandArgs& args) {
  scratch_.clear();
  args.encode_resp(scratch_);
  if (redisAppendFormattedCommand(impl_->ctx, scratch_.data(), scratch_.size()) != REDIS_OK) {
    throw RedisError(std::string("cannot queue command: ") + impl_->ctx->errstr);
  }
  ++pending_;
}

Reply RedisConnection::read_reply() {
  if (pending_ == 0) throw RedisError("no reply pending");
  void* raw = nullptr;
  if (redisGetReply(impl_->ctx, &raw) != REDIS_OK || !raw) {
    throw RedisError(std::string("connection lost: ") + (impl_->ctx->errstr[0] ? impl_->ctx->errstr : "no reply"));
  }
  --pending_;
  Reply out = convert(static_cast<redisReply*>(raw));
  freeReplyObject(raw);
  return out;
}

Reply RedisConnection::command(const CommandArgs& args) {
  while (pending_ > 0) read_reply();
  append(args);
  return read_reply();
}

Reply RedisConnection::command(std::initializer_list<std::string_view> args) {
  CommandArgs a;
  for (auto s : args) a.add(s);
  return command(a);
}

void Pipeline::send(const CommandArgs& args, uint64_t tag) {
  conn_.append(args);
  tags_.push_back(tag);
  if (tags_.size() >= window_) read_one();
}

void Pipeline::read_one() {
  const Reply r = conn_.read_reply();
  const uint64_t tag = tags_.front();
  tags_.pop_front();
  if (on_reply_) on_reply_(tag, r);
}

void Pipeline::drain() {
  while (!tags_.empty()) read_one();
}

}  // namespace reco_offline
