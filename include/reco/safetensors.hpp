// safetensors files: the container of reco's ranking models.
//
// A safetensors file is a u64 little-endian header length N, N bytes of JSON header, then
// the raw little-endian tensor bytes. It is what training frameworks already write, and it
// is simple enough to validate completely before trusting a single offset, which matters
// because model files reach the server as command arguments.
//
// The reader accepts dtype F32 only and copies every tensor out (so alignment in the file
// does not matter). It is strict about layout: the tensors must tile the data area exactly,
// in any order, with no gap, overlap or trailing byte, as the format's specification asks;
// a hole would be bytes that nothing describes, which is a sign of a broken writer.
// The writer produces such a file (header padded with spaces to a multiple of 8 bytes).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "reco/memory.hpp"

namespace reco {

// Files (and headers) larger than these are refused before anything is parsed.
constexpr std::uint64_t kMaxTensorFileBytes = 1ULL << 30;
// A parsed JSON header can take ~15x its size in memory, hence the tighter header bound.
constexpr std::uint64_t kMaxTensorHeaderBytes = 64ULL << 20;
constexpr std::size_t kMaxTensorRank = 8;

struct Tensor {
  std::string name;
  std::vector<std::uint64_t> shape;
  Vec<float> data;  // row-major, size = product of shape (1 for rank 0)
};

struct TensorFile {
  std::vector<std::pair<std::string, std::string>> metadata;  // "__metadata__", in key order
  std::vector<Tensor> tensors;                                // in file offset order

  const Tensor* find(std::string_view name) const noexcept;
  const std::string* meta(std::string_view key) const noexcept;
};

// Throws reco::Error ("safetensors: ...") on anything malformed; never reads out of bounds.
TensorFile read_safetensors(std::string_view bytes);
// The constant-time part of read_safetensors (sizes, header length, the header's first
// byte): callers that would otherwise hash or copy the whole file first run it before.
// Returns the header length; throws reco::Error like read_safetensors.
std::uint64_t check_safetensors_framing(std::string_view bytes);

// Throws reco::Error on duplicate names, a "__metadata__" tensor name, or a tensor whose
// data size does not match its shape.
std::string write_safetensors(const TensorFile& file);

}  // namespace reco
