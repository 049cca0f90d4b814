// The module data type "reco-user": users are ordinary keys whose value is a UserProfile.
//
// Being keys, users get DEL, EXPIRE, RENAME, SCAN, ACL key patterns and cluster sharding for
// free. The type also carries the node's catalogs as RDB aux data (catalogs are not keys, and
// aux data is the only place an RDB has for module-wide state), see catalog_aux.hpp.
#pragma once

#include "reco/user_profile.hpp"
#include "redismodule.h"

namespace reco::glue {

int register_user_type(RedisModuleCtx* ctx);

// A user key opened for one command; closed (and, if written, signalled) on destruction.
// Opening a key that holds another type throws ReplyError WRONGTYPE.
class UserKey {
 public:
  UserKey(RedisModuleCtx* ctx, RedisModuleString* name, bool write);
  ~UserKey();
  UserKey(const UserKey&) = delete;
  UserKey& operator=(const UserKey&) = delete;

  // Null if the key does not exist.
  UserProfile* profile() const noexcept { return profile_; }
  // Creates an empty profile if the key does not exist (write mode only).
  UserProfile& profile_or_create();

 private:
  RedisModuleKey* key_ = nullptr;
  UserProfile* profile_ = nullptr;
};

}  // namespace reco::glue
