// reco-offline: one executable for the offline tools. It is called by their
// names (reco-data, reco-train, reco-load, reco-eval, reco-show, reco-rank are symlinks
// to it) or as `reco-offline <data|train|load|eval|show|rank> args...`. One binary,
// built as a single translation unit, so that the header-only command-line
// parser is compiled once rather than once per tool: it is most of the build
// time of the tools, and the demo builds from scratch.
#include <cstdio>
#include <cstring>
#include <string>

namespace reco_offline::tools {
namespace data { int run(int argc, char** argv); }
namespace train { int run(int argc, char** argv); }
namespace load { int run(int argc, char** argv); }
namespace eval { int run(int argc, char** argv); }
namespace show { int run(int argc, char** argv); }
namespace rank { int run(int argc, char** argv); }
}  // namespace reco_offline::tools

int main(int argc, char** argv) {
  using namespace reco_offline::tools;
  const char* slash = std::strrchr(argv[0], '/');
  std::string name = slash ? slash + 1 : argv[0];
  if (name == "reco-offline") {
    if (argc < 2) {
      std::fprintf(stderr, "usage: reco-offline <data|train|load|eval|show|rank> [args...]\n");
      return 2;
    }
    name = std::string("reco-") + argv[1];
    --argc;
    ++argv;
  }
  if (name == "reco-data") return data::run(argc, argv);
  if (name == "reco-train") return train::run(argc, argv);
  if (name == "reco-load") return load::run(argc, argv);
  if (name == "reco-eval") return eval::run(argc, argv);
  if (name == "reco-show") return show::run(argc, argv);
  if (name == "reco-rank") return rank::run(argc, argv);
  std::fprintf(stderr, "reco-offline: unknown tool \"%s\" (data, train, load, eval, show, rank)\n", name.c_str());
  return 2;
}
