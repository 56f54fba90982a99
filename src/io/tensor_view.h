// Non-owning views of stored tensors and the entries writers consume.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "io/dtype.h"

namespace claw::io {

// The number of elements of a tensor of this shape.
inline std::int64_t shape_numel(const std::vector<std::int64_t>& shape) {
  std::int64_t n = 1;
  for (std::int64_t d : shape) n *= d;
  return n;
}

// Row-major bytes of one tensor, owned elsewhere (usually a memory-mapped file).
struct TensorView {
  DType dtype = DType::kF32;
  std::vector<std::int64_t> shape;
  const std::byte* data = nullptr;
  std::size_t nbytes = 0;

  std::int64_t numel() const { return shape_numel(shape); }
};

// Bytes that stay valid while `owner` lives; lets writers pull one tensor at a time so a model
// larger than memory can be produced and written shard by shard.
struct OwnedBytes {
  std::shared_ptr<const void> owner;
  const std::byte* data = nullptr;
  std::size_t size = 0;
};

// One tensor to write: its header fields now, its bytes on demand.
struct TensorEntry {
  std::string name;
  DType dtype = DType::kF32;
  std::vector<std::int64_t> shape;
  std::function<OwnedBytes()> bytes;

  std::size_t nbytes() const;
};

// An entry whose bytes are an existing view (which must outlive the write).
TensorEntry entry_from_view(std::string name, const TensorView& view);

}  // namespace claw::io
