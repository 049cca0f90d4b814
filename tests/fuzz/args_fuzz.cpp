// Fuzz target: the command argument cursor of the glue (module/glue/args.*), which every
// command's parsing goes through. The input is split at NUL bytes into an argv; each
// argument's first byte (taken modulo the number of readers) picks what the next read
// expects, the way a command's grammar does, so that the fuzzer reaches every reader with
// every kind of argument. reco::Error is a parse error; anything else is a finding.
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "args.hpp"
#include "reco/error.hpp"

namespace {

constexpr std::string_view kKnown[] = {"K", "FILTER", "EXCLUDE", "WITHSCORES", "BUDGET"};

void parse(reco::glue::ArgCursor& args) {
  using namespace reco::glue;
  OptionsSeen seen;
  while (!args.done()) {
    const std::string_view op = args.next("op");
    switch (op.empty() ? 0 : static_cast<unsigned char>(op[0]) % 9) {
      case 0: args.next_integer("count", -1000, 1000000); break;
      case 1: args.next_finite_double("weight"); break;
      case 2: args.next_double_at_least("score", 0.0); break;
      case 3: {
        const bool fp32 = op.size() > 1 && op[1] & 1;
        VectorArg v = args.next_vector(fp32 ? "FP32" : "VALUES");
        if (op.size() > 2)
          vector_for_catalog(v, 1 + static_cast<unsigned char>(op[2]) % 16);
        else
          vector_any_dim(v);
        break;
      }
      case 4: {
        const std::size_t per = 1 + (op.size() > 1 ? static_cast<unsigned char>(op[1]) % 3 : 0);
        auto entries = args.next_counted("TERMS", per);
        reject_duplicates("TERMS", entries, per);
        break;
      }
      case 5: seen.mark(args.next_option(kKnown)); break;
      case 6: args.accept("WITHSCORES"); break;
      case 7: (void)quoted(args.next("id")); break;
      default: (void)args.remaining(); break;
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  std::vector<std::string_view> argv;
  for (std::size_t start = 0; start <= in.size();) {
    std::size_t end = in.find('\0', start);
    if (end == std::string_view::npos) end = in.size();
    argv.push_back(in.substr(start, end - start));
    start = end + 1;
  }
  reco::glue::ArgCursor args(argv);
  try {
    parse(args);
  } catch (const reco::Error&) {
  }
  return 0;
}
