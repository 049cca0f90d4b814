// Runs a built tool (build/reco-*) through the shell and captures its status
// and output (stdout and stderr together), for the tests that drive the tools.
#pragma once

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <string>

namespace reco_offline::test {

struct ToolRun {
  int status;
  std::string output;
};

inline ToolRun run(const std::string& command) {
  ToolRun r{-1, {}};
  FILE* p = popen((command + " 2>&1").c_str(), "r");
  if (!p) return r;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) r.output.append(buf.data(), n);
  const int st = pclose(p);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

inline std::string tool(const std::string& name) { return std::string(RECO_TOOL_DIR) + "/" + name; }

}  // namespace reco_offline::test
