// Parsing and validation of a model's schema JSON (see reco/model_schema.hpp).
//
// Inside groups, fields and the MLP every key is known and an unknown one is an error:
// a misspelt "combinor" would otherwise silently change the model's meaning. Top-level
// keys other than the known ones are ignored, so that a trainer can annotate its files
// (data set, date, metrics) without the engine having to know about it.
#include "reco/model_schema.hpp"

#include <cmath>
#include <initializer_list>

#include "model_json.hpp"
#include "reco/error.hpp"

namespace reco {
namespace {

using json = model_json::Json;
using model_json::text_of;

[[noreturn]] void fail(const std::string& msg) { throw Error("model: " + msg); }

std::string qs(std::string_view s) { return "\"" + std::string(s) + "\""; }

void only_keys(const json& obj, std::initializer_list<const char*> keys, const std::string& where) {
  for (auto it = obj.begin(); it != obj.end(); ++it) {
    bool known = false;
    for (const char* k : keys) known = known || it.key() == k;
    if (!known) fail(where + " has unknown key " + qs(view(it.key())));
  }
}

const json* get(const json& obj, const char* key) {
  auto it = obj.find(key);
  return it == obj.end() ? nullptr : &*it;
}

std::string get_string(const json& obj, const char* key, const std::string& where, bool required,
                       const std::string& dflt = "") {
  const json* v = get(obj, key);
  if (!v) {
    if (required) fail(where + " has no " + key);
    return dflt;
  }
  if (!v->is_string()) fail(where + " " + key + " is not a string");
  return std::string(text_of(*v));
}

std::uint64_t get_size(const json& v, const std::string& what, std::uint64_t lo, std::uint64_t hi) {
  if (!v.is_number_integer() || (v.is_number_integer() && !v.is_number_unsigned()))
    fail(what + " is not a positive integer");
  std::uint64_t n = v.get<std::uint64_t>();
  if (n < lo || n > hi)
    fail(what + " " + std::to_string(n) + " is outside " + std::to_string(lo) + ".." + std::to_string(hi));
  return n;
}

double get_finite(const json& obj, const char* key, const std::string& where, double dflt) {
  const json* v = get(obj, key);
  if (!v) return dflt;
  if (!v->is_number()) fail(where + " " + key + " is not a number");
  double d = v->get<double>();
  if (!std::isfinite(d)) fail(where + " " + key + " is not finite");
  return d;
}

ModelGroup parse_group(const json& g, std::size_t i) {
  const std::string where = "group #" + std::to_string(i);
  if (!g.is_object()) fail(where + " is not an object");
  only_keys(g, {"name", "dim"}, where);
  ModelGroup out;
  std::string name = get_string(g, "name", where, true);
  if (name.empty()) fail(where + " has an empty name");
  out.name = to_string(name);
  const json* dim = get(g, "dim");
  if (!dim) fail("group " + qs(name) + " has no dim");
  out.dim = static_cast<std::uint32_t>(get_size(*dim, "group " + qs(name) + " dim", 1, kMaxModelWidth));
  return out;
}

ModelField parse_field(const json& f, std::size_t i, const ModelSchema& schema) {
  if (!f.is_object()) fail("field #" + std::to_string(i) + " is not an object");
  const std::string name = get_string(f, "name", "field #" + std::to_string(i), true);
  if (name.empty()) fail("field #" + std::to_string(i) + " has an empty name");
  const std::string where = "field " + qs(name);
  only_keys(f, {"name", "side", "kind", "source", "vocab", "combiner", "mean", "std", "group"}, where);

  ModelField out;
  out.name = to_string(name);
  const std::string side = get_string(f, "side", where, true);
  if (side == "user") out.side = FieldSide::User;
  else if (side == "item") out.side = FieldSide::Item;
  else if (side == "context") out.side = FieldSide::Context;
  else if (side == "candidate") out.side = FieldSide::Candidate;
  else fail(where + " has unknown side " + qs(side) + " (user, item, context or candidate)");

  const std::string kind = get_string(f, "kind", where, true);
  if (kind == "categorical") out.kind = FieldKind::Categorical;
  else if (kind == "multi") out.kind = FieldKind::Multi;
  else if (kind == "dense") out.kind = FieldKind::Dense;
  else fail(where + " has unknown kind " + qs(kind) + " (categorical, multi or dense)");

  // Source: where the raw value comes from. Context fields read the request's CONTEXT pair
  // named like the field; the only source they accept is that same default spelt out.
  // Candidate fields read a value recall computed (candidate:<value>, by default the
  // field's own name).
  const bool candidate = out.side == FieldSide::Candidate;
  const std::string source = get_string(f, "source", where, false, (candidate ? "candidate:" : "feature:") + name);
  if (candidate) {
    if (source.rfind("candidate:", 0) != 0)
      fail(where + " is a candidate field: its source must be candidate:<value>, not " + qs(source));
    const auto value = parse_candidate_value(std::string_view(source).substr(10));
    if (!value)
      fail(where + " has unknown candidate value " + qs(source.substr(10)) +
           " (vector.rank, term.rank, session.rank, popular.rank, vector.score, term.score, "
           "session.score, blend.score, popularity, age, user.popularity or user.seen)");
    if (out.kind != FieldKind::Dense) fail(where + " is a candidate field: it must be dense");
    out.source = FieldSource::Candidate;
    out.candidate = *value;
  } else if (source.rfind("candidate:", 0) == 0) {
    fail(where + " source " + qs(source) + " needs side \"candidate\"");
  } else if (source.rfind("feature:", 0) == 0) {
    out.source = FieldSource::Feature;
    out.feature = to_string(source.substr(8));
    if (out.feature.empty()) fail(where + " source names an empty feature");
    if (out.side == FieldSide::Context && out.feature != out.name)
      fail(where + " is a context field: it reads CONTEXT " + qs(name) + " and takes no source");
  } else if (source == "id" || source == "terms") {
    if (out.side == FieldSide::Context)
      fail(where + " is a context field: source " + qs(source) + " is not allowed");
    if (source == "id") {
      if (out.kind != FieldKind::Categorical) fail(where + " source \"id\" needs kind categorical");
      out.source = FieldSource::Id;
    } else {
      if (out.kind != FieldKind::Multi) fail(where + " source \"terms\" needs kind multi");
      out.source = FieldSource::Terms;
    }
  } else {
    fail(where + " has unknown source " + qs(source) + " (feature:<name>, id or terms)");
  }

  const json* vocab = get(f, "vocab");
  if (out.kind == FieldKind::Dense) {
    if (vocab) fail(where + " is dense and takes no vocab");
    if (get(f, "combiner")) fail(where + " is dense and takes no combiner");
    out.mean = get_finite(f, "mean", where, 0.0);
    out.std = get_finite(f, "std", where, 1.0);
    if (!(out.std > 0)) fail(where + " std must be > 0");
  } else {
    if (get(f, "mean") || get(f, "std")) fail(where + " is not dense and takes no mean/std");
    if (!vocab) fail(where + " has no vocab");
    if (!vocab->is_array()) fail(where + " vocab is not an array");
    if (vocab->size() > kMaxModelVocab)
      fail(where + " vocab has " + std::to_string(vocab->size()) + " entries (at most " +
           std::to_string(kMaxModelVocab) + ")");
    out.vocab.reserve(vocab->size());
    out.rows.reserve(vocab->size());
    for (const json& v : *vocab) {
      if (!v.is_string()) fail(where + " vocab entry #" + std::to_string(out.vocab.size()) + " is not a string");
      const std::string_view s = text_of(v);
      auto row = static_cast<std::uint32_t>(out.vocab.size() + 1);
      if (!out.rows.emplace(to_string(s), row).second)
        fail(where + " vocab has duplicate value " + qs(s));
      out.vocab.push_back(to_string(s));
    }
    const std::string comb = get_string(f, "combiner", where, false, "mean");
    if (out.kind == FieldKind::Categorical && get(f, "combiner"))
      fail(where + " is categorical and takes no combiner");
    if (comb == "mean") out.combiner = Combiner::Mean;
    else if (comb == "sum") out.combiner = Combiner::Sum;
    else fail(where + " has unknown combiner " + qs(comb) + " (mean or sum)");
  }

  if (const json* g = get(f, "group")) {
    if (candidate) fail(where + " is a candidate field and takes no group (linear and MLP value only)");
    if (!g->is_string()) fail(where + " group is not a string");
    int gi = schema.find_group(text_of(*g));
    if (gi < 0) fail(where + " names unknown group " + qs(text_of(*g)));
    out.group = gi;
  }
  return out;
}

void parse_mlp(const json& m, ModelSchema& s) {
  if (!m.is_object()) fail("mlp is not an object");
  only_keys(m, {"inputs", "layers"}, "mlp");
  const json* inputs = get(m, "inputs");
  if (!inputs || !inputs->is_array() || inputs->empty()) fail("mlp has no inputs array");
  std::size_t width = 0;
  for (std::size_t i = 0; i < inputs->size(); ++i) {
    const json& in = (*inputs)[i];
    const std::string where = "mlp input #" + std::to_string(i);
    if (!in.is_object()) fail(where + " is not an object");
    only_keys(in, {"field", "part"}, where);
    const std::string field = get_string(in, "field", where, true);
    const std::string part = get_string(in, "part", where, true);
    int fi = s.find_field(field);
    if (fi < 0) fail(where + " references unknown field " + qs(field));
    MlpInput mi;
    mi.field = static_cast<std::uint32_t>(fi);
    if (part == "embedding") {
      if (s.fields[fi].side == FieldSide::Candidate)
        fail(where + " takes the embedding of candidate field " + qs(field) + " (candidate fields enter by value)");
      mi.embedding = true;
    } else if (part == "value") {
      if (s.fields[fi].kind != FieldKind::Dense)
        fail(where + " takes the value of field " + qs(field) + ", which is not dense");
      mi.embedding = false;
      ++width;
    } else {
      fail(where + " has unknown part " + qs(part) + " (embedding or value)");
    }
    for (const MlpInput& o : s.mlp_inputs)
      if (o.field == mi.field && o.embedding == mi.embedding)
        fail(where + " repeats field " + qs(field) + " part " + qs(part));
    s.mlp_inputs.push_back(mi);
  }
  const json* layers = get(m, "layers");
  if (layers) {
    if (!layers->is_array()) fail("mlp layers is not an array");
    if (layers->size() > kMaxModelLayers)
      fail("mlp has " + std::to_string(layers->size()) + " hidden layers (at most " +
           std::to_string(kMaxModelLayers) + ")");
    for (const json& l : *layers)
      s.mlp_layers.push_back(static_cast<std::uint32_t>(get_size(l, "mlp layer size", 1, kMaxModelWidth)));
  }
  s.has_mlp = true;
}

}  // namespace

static ModelSchema parse_schema_json(std::string_view text);

int ModelSchema::find_field(std::string_view name) const noexcept {
  for (std::size_t i = 0; i < fields.size(); ++i)
    if (view(fields[i].name) == name) return static_cast<int>(i);
  return -1;
}

int ModelSchema::find_group(std::string_view name) const noexcept {
  for (std::size_t i = 0; i < groups.size(); ++i)
    if (view(groups[i].name) == name) return static_cast<int>(i);
  return -1;
}

bool ModelSchema::needs_embedding(std::size_t f) const noexcept {
  if (fields[f].group >= 0) return true;
  for (const MlpInput& in : mlp_inputs)
    if (in.field == f && in.embedding) return true;
  return false;
}

ModelSchema parse_model_schema(std::string_view text) {
  try {
    return parse_schema_json(text);
  } catch (const json::exception& e) {  // a type check this file missed: still a clean error
    fail(std::string("schema: ") + e.what());
  }
}

static ModelSchema parse_schema_json(std::string_view text) {
  json j = model_json::parse_strict(text, "model: schema");
  if (!j.is_object()) fail("schema is not a JSON object");
  ModelSchema s;
  s.json = to_string(text);

  const std::string format = get_string(j, "format", "schema", true);
  if (format != "reco.fm") fail("schema format is " + qs(format) + ", expected \"reco.fm\"");
  const json* version = get(j, "version");
  if (!version) fail("schema has no version");
  if (!version->is_number_integer() || version->get<std::int64_t>() != 1)
    fail("schema version " + std::string(view(version->dump())) + " is not supported (this engine reads version 1)");

  const std::string output = get_string(j, "output", "schema", false, "sigmoid");
  if (output == "sigmoid") s.output = ModelOutput::Sigmoid;
  else if (output == "logit") s.output = ModelOutput::Logit;
  else fail("unknown output " + qs(output) + " (sigmoid or logit)");

  if (const json* groups = get(j, "groups")) {
    if (!groups->is_array()) fail("groups is not an array");
    if (groups->size() > kMaxModelGroups)
      fail("too many groups (" + std::to_string(groups->size()) + ", at most " + std::to_string(kMaxModelGroups) + ")");
    for (std::size_t i = 0; i < groups->size(); ++i) {
      ModelGroup g = parse_group((*groups)[i], i);
      if (s.find_group(view(g.name)) >= 0) fail("duplicate group name " + qs(view(g.name)));
      s.groups.push_back(std::move(g));
    }
  }

  std::size_t q = 0;
  for (const ModelGroup& g : s.groups) q += g.dim;
  if (q > kMaxModelWidth)
    fail("the groups' dims sum to " + std::to_string(q) + " (at most " + std::to_string(kMaxModelWidth) +
         ": it is the width of every item's row)");

  const json* fields = get(j, "fields");
  if (!fields || !fields->is_array() || fields->empty()) fail("schema has no fields array");
  if (fields->size() > kMaxModelFields)
    fail("too many fields (" + std::to_string(fields->size()) + ", at most " + std::to_string(kMaxModelFields) + ")");
  for (std::size_t i = 0; i < fields->size(); ++i) {
    ModelField f = parse_field((*fields)[i], i, s);
    if (s.find_field(view(f.name)) >= 0) fail("duplicate field name " + qs(view(f.name)));
    s.fields.push_back(std::move(f));
  }

  if (const json* mlp = get(j, "mlp")) {
    if (!mlp->is_null()) parse_mlp(*mlp, s);
  }
  return s;
}

}  // namespace reco
