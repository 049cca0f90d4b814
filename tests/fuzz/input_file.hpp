// The loaders' readers take file paths: the fuzz targets of loaders/ write each input to a
// per-process file with the extension the reader dispatches on, and remove it at exit.
#pragma once

#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>

namespace reco_fuzz {

inline std::string write_input(const std::uint8_t* data, std::size_t size, const std::string& ext) {
  std::string path = "/tmp/reco-fuzz-" + std::to_string(::getpid()) + ext;
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) std::abort();
  if (size > 0 && std::fwrite(data, 1, size, f) != size) std::abort();
  std::fclose(f);
  return path;
}

}  // namespace reco_fuzz
