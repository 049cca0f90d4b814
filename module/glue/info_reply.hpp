// A flat name/value reply (RECO.CATALOG.INFO, RECO.MODEL.INFO ...), built before it is sent.
//
// Collecting the pairs first means the array length is always right, whatever fields a
// catalog or model has, and nothing is written to the client until every value is known:
// a handler that throws halfway still replies with one clean error.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>
#include <vector>

#include "redismodule.h"

namespace reco::glue {

class InfoReply {
 public:
  void add(std::string_view name, std::string_view value) {
    fields_.push_back({std::string(name), std::string(value)});
  }
  void add(std::string_view name, const char* value) { add(name, std::string_view(value)); }
  template <typename T>
    requires std::is_integral_v<T>
  void add(std::string_view name, T value) {
    fields_.push_back({std::string(name), static_cast<long long>(value)});
  }
  void add(std::string_view name, double value) { fields_.push_back({std::string(name), value}); }

  void send(RedisModuleCtx* ctx) const;

 private:
  struct Field {
    std::string name;
    std::variant<std::string, long long, double> value;
  };
  std::vector<Field> fields_;
};

}  // namespace reco::glue
