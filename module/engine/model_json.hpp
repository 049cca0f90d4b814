// JSON parsing for model files (safetensors headers and the reco schema), engine-internal.
//
// nlohmann::json keeps the last of two equal keys silently; in a model file a duplicated key
// means the writer is broken or the file was edited by hand, and which value wins would be
// a guess. So the parse tracks the keys of every open object and refuses repeats. It also
// bounds nesting and array lengths (see Limits), since the tree is built as it is read.
// The tree (nodes, arrays, objects, strings) comes from reco::Allocator, so a large header
// is counted by Redis and limited by the write's GrowthLimit (reco/memory.hpp) as it grows.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "reco/error.hpp"
#include "reco/memory.hpp"
#include "reco/model_schema.hpp"

namespace reco::model_json {

using Json = nlohmann::basic_json<std::map, std::vector, String, bool, std::int64_t, std::uint64_t, double,
                                  Allocator>;

// A string value's text (the caller checked is_string()).
inline std::string_view text_of(const Json& j) { return view(j.get_ref<const String&>()); }

// Bounds on what one parse may build. A parsed value costs 16 bytes or more where its text
// may cost 2 ("0,"), so the byte limits on the file alone would let a 64 MiB header grow
// to a gigabyte of tree; these refuse such input while it is read. Defaults: nesting far
// deeper than any model file's (4 levels), arrays as long as the longest a model may hold
// (a vocabulary, kMaxModelVocab), any number of values.
struct Limits {
  std::size_t max_depth = 64;
  std::size_t max_array = kMaxModelVocab;
  std::size_t max_values = SIZE_MAX;
};

// Throws reco::Error("<what>: ...") on a syntax error, a duplicate key or input past
// `limits`.
inline Json parse_strict(std::string_view text, const std::string& what,
                                   const Limits& limits = {}) {
  struct Refused {
    std::string why;
  };
  struct Frame {
    bool array;
    std::size_t count = 0;
    std::set<std::string> keys;
  };
  std::vector<Frame> open;
  std::size_t values = 0;
  // Counts a value (or a container) that starts inside the innermost open container.
  auto element = [&] {
    if (++values > limits.max_values)
      throw Refused{"more than " + std::to_string(limits.max_values) + " values"};
    if (!open.empty() && open.back().array && ++open.back().count > limits.max_array)
      throw Refused{"an array longer than " + std::to_string(limits.max_array) + " elements"};
  };
  auto check = [&](int, Json::parse_event_t ev, Json& parsed) {
    using E = Json::parse_event_t;
    if (ev == E::object_start || ev == E::array_start) {
      element();
      if (open.size() >= limits.max_depth)
        throw Refused{"nesting deeper than " + std::to_string(limits.max_depth) + " levels"};
      open.push_back(Frame{ev == E::array_start, 0, {}});
    } else if (ev == E::object_end || ev == E::array_end) {
      if (!open.empty()) open.pop_back();
    } else if (ev == E::value) {
      element();
    } else if (ev == E::key && !open.empty()) {
      const std::string k(text_of(parsed));
      if (!open.back().keys.insert(k).second) throw Refused{"duplicate key \"" + k + "\""};
    }
    return true;
  };
  try {
    return Json::parse(text.begin(), text.end(), check);
  } catch (const Refused& r) {
    throw Error(what + ": " + r.why);
  } catch (const Json::exception& e) {
    std::string m = e.what();
    // nlohmann prefixes "[json.exception.parse_error.101] "; the rest is the useful part.
    if (auto p = m.find("] "); p != std::string::npos) m = m.substr(p + 2);
    throw Error(what + ": invalid JSON: " + m);
  }
}

}  // namespace reco::model_json
