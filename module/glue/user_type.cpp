// The "reco-user" data type: RDB, AOF rewrite, memory accounting, copy (see user_type.hpp).
#include "user_type.hpp"

#include <cstring>
#include <exception>
#include <memory>
#include <new>
#include <string>
#include <vector>

#include "catalog_aux.hpp"
#include "command.hpp"
#include "rdb_io.hpp"
#include "reco/codec.hpp"
#include "reco/error.hpp"
#include "reco/vector_codec.hpp"

namespace reco::glue {

namespace {

// Exactly 9 characters, as Redis requires of a type name; it is written into every RDB that
// holds a user key, so it never changes.
constexpr const char* kTypeName = "reco-user";

RedisModuleType* g_user_type = nullptr;

void* user_rdb_load(RedisModuleIO* rdb, int encver) {
  if (encver < 0 || static_cast<unsigned>(encver) > kUserEncoding) {
    RedisModule_LogIOError(rdb, "warning", "user encoding %d is newer than this module reads",
                           encver);
    return nullptr;
  }
  try {
    RdbSource in(rdb);
    return load_user(in, static_cast<std::uint32_t>(encver)).release();
  } catch (const std::bad_alloc&) {
    RedisModule_LogIOError(rdb, "warning", "loading a user failed: out of memory");
  } catch (const std::exception& e) {
    RedisModule_LogIOError(rdb, "warning", "loading a user failed: %s", e.what());
  } catch (...) {
    RedisModule_LogIOError(rdb, "warning", "loading a user failed");
  }
  return nullptr;
}

void user_rdb_save(RedisModuleIO* rdb, void* value) {
  try {
    RdbSink out(rdb);
    save_user(*static_cast<const UserProfile*>(value), out);
  } catch (const std::exception& e) {
    RedisModule_LogIOError(rdb, "warning", "saving a user failed: %s", e.what());
  }
}

// The RECO.USER.SET arguments (after the key) that rebuild `u` exactly: the vector as an FP32
// blob and term weights in shortest round-trip text, so a rewritten AOF loads bit-identical
// values; the seen-set as raw fingerprints (SEENFP), since the item ids are not stored.
std::vector<std::string> user_set_arguments(const UserProfile& u) {
  std::vector<std::string> a;
  if (!u.vector.empty()) {
    a.emplace_back("FP32");
    a.push_back(encode_fp32(u.vector));
  }
  if (!u.terms.empty()) {
    a.emplace_back("TERMS");
    a.push_back(std::to_string(u.terms.size()));
    for (const WeightedTerm& t : u.terms) {
      a.emplace_back(view(t.term));
      a.push_back(format_float(t.weight));
    }
  }
  if (!u.features.empty()) {
    a.emplace_back("FEATURES");
    a.push_back(std::to_string(u.features.size()));
    for (const Feature& f : u.features) {
      a.emplace_back(view(f.name));
      a.emplace_back(view(f.value));
    }
  }
  if (!u.seen.empty()) {
    a.emplace_back("SEENFP");
    auto fps = u.seen.fingerprints();
    std::string blob(fps.size() * sizeof(std::uint64_t), '\0');
    // Little-endian on the wire; the engine's vector codec already requires a little-endian
    // host, so a plain copy is the encoding.
    std::memcpy(blob.data(), fps.data(), blob.size());
    a.push_back(std::move(blob));
  }
  return a;
}

void user_aof_rewrite(RedisModuleIO* aof, RedisModuleString* key, void* value) {
  std::vector<std::string> parts;
  try {
    parts = user_set_arguments(*static_cast<const UserProfile*>(value));
  } catch (const std::exception& e) {
    RedisModule_LogIOError(aof, "warning", "rewriting a user failed: %s", e.what());
    return;
  }
  std::vector<RedisModuleString*> argv;
  argv.reserve(parts.size());
  for (const std::string& p : parts) argv.push_back(RedisModule_CreateString(nullptr, p.data(), p.size()));
  RedisModule_EmitAOF(aof, "RECO.USER.SET", "sv", key, argv.data(), argv.size());
  for (RedisModuleString* s : argv) RedisModule_FreeString(nullptr, s);
}

// DEBUG DIGEST(-VALUE): lets tests and operators check that a replica or a reloaded server
// holds the same profiles. Every field is one element, the profile one sequence.
void user_digest(RedisModuleDigest* md, void* value) {
  const auto& u = *static_cast<const UserProfile*>(value);
  auto add = [md](std::string_view b) { RedisModule_DigestAddStringBuffer(md, b.data(), b.size()); };
  add(std::string_view(reinterpret_cast<const char*>(u.vector.data()), u.vector.size() * sizeof(float)));
  for (const WeightedTerm& t : u.terms) {
    add(view(t.term));
    add(std::string_view(reinterpret_cast<const char*>(&t.weight), sizeof t.weight));
  }
  for (const Feature& f : u.features) {
    add(view(f.name));
    add(view(f.value));
  }
  auto fps = u.seen.fingerprints();
  add(std::string_view(reinterpret_cast<const char*>(fps.data()), fps.size() * sizeof(std::uint64_t)));
  RedisModule_DigestEndSequence(md);
}

size_t user_mem_usage(const void* value) {
  return static_cast<const UserProfile*>(value)->memory_bytes();
}

void user_free(void* value) { delete static_cast<UserProfile*>(value); }

void* user_copy(RedisModuleString* fromkey, RedisModuleString* tokey, const void* value) {
  try {
    return new UserProfile(*static_cast<const UserProfile*>(value));
  } catch (...) {
    return nullptr;  // COPY then fails with an error instead of the server aborting
  }
}

}  // namespace

int register_user_type(RedisModuleCtx* ctx) {
  RedisModuleTypeMethods tm;
  std::memset(&tm, 0, sizeof tm);
  tm.version = REDISMODULE_TYPE_METHOD_VERSION;
  tm.rdb_load = user_rdb_load;
  tm.rdb_save = user_rdb_save;
  tm.aof_rewrite = user_aof_rewrite;
  tm.mem_usage = user_mem_usage;
  tm.digest = user_digest;
  tm.free = user_free;
  tm.aux_load = load_catalogs;
  tm.aux_save = save_catalogs;
  tm.aux_save_triggers = REDISMODULE_AUX_BEFORE_RDB;
  tm.copy = user_copy;
  g_user_type = RedisModule_CreateDataType(ctx, kTypeName, static_cast<int>(kUserEncoding), &tm);
  return g_user_type ? REDISMODULE_OK : REDISMODULE_ERR;
}

UserKey::UserKey(RedisModuleCtx* ctx, RedisModuleString* name, bool write) {
  int mode = write ? (REDISMODULE_READ | REDISMODULE_WRITE) : REDISMODULE_READ;
  key_ = static_cast<RedisModuleKey*>(RedisModule_OpenKey(ctx, name, mode));
  if (!key_) return;  // read mode: the key does not exist
  int type = RedisModule_KeyType(key_);
  if (type == REDISMODULE_KEYTYPE_EMPTY) return;
  if (type != REDISMODULE_KEYTYPE_MODULE || RedisModule_ModuleTypeGetType(key_) != g_user_type) {
    RedisModule_CloseKey(key_);
    key_ = nullptr;
    throw ReplyError{REDISMODULE_ERRORMSG_WRONGTYPE};
  }
  profile_ = static_cast<UserProfile*>(RedisModule_ModuleTypeGetValue(key_));
}

UserKey::~UserKey() {
  if (key_) RedisModule_CloseKey(key_);
}

UserProfile& UserKey::profile_or_create() {
  if (profile_) return *profile_;
  if (!key_) throw Error("user key is not open for writing");
  auto fresh = std::make_unique<UserProfile>();
  if (RedisModule_ModuleTypeSetValue(key_, g_user_type, fresh.get()) != REDISMODULE_OK) {
    throw Error("could not create the user key");
  }
  profile_ = fresh.release();
  return *profile_;
}

}  // namespace reco::glue
