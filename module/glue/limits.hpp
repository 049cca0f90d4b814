// Operator caps on what one request may ask for: the values behind the reco.max-* configs.
//
// Why it is shaped so: the engine has hard limits (kMaxK, kMaxBudget, kMaxEf, ...) that bound
// what is safe at all; the caps let an operator lower them for a shared server. A request
// within the hard limit but over a cap gets "ERR <what> <n> exceeds reco.<config> (<cap>)" and
// changes nothing, because every cap is checked while arguments are parsed. This file holds no
// Redis type, so the argument parser (and its fuzzer) can use it alone; limits_config.cpp
// registers the configs. State: written by CONFIG SET and dispatch(), read by parsers, all on
// the main thread.
#pragma once

#include <string_view>

namespace reco::glue {

struct Limits {
  long long max_k;            // reco.max-k: K of RECOMMEND, SIMILAR, KNN
  long long max_budget;       // reco.max-budget: a request's BUDGET, a catalog's BUDGET.*
  long long max_ef;           // reco.max-ef: EF, EF_RUNTIME, EF_CONSTRUCTION
  long long max_list;         // reco.max-list: entries of any counted list or item list
  long long max_model_bytes;  // reco.max-model-bytes: a RECO.MODEL.PUT file
  // Not a cap: reco.copy-part-bytes, the size of a RECO.CATALOG.DUMP part (smaller parts
  // mean smaller replication and client buffers per command).
  long long copy_part_bytes;
};

const Limits& limits();
Limits& mutable_limits();

// Whether the command being run comes from a client (caps apply) or from the master link or
// an AOF load (it was accepted where it was first sent: applying it keeps nodes equal).
// Set by dispatch() before each handler.
void set_caps_enforced(bool enforced) noexcept;

// Throws reco::Error when value > cap and caps are enforced (cap is one of limits()'s fields;
// `config` its name without the "reco." prefix).
void check_cap(std::string_view what, long long value, std::string_view config, long long cap);

}  // namespace reco::glue
