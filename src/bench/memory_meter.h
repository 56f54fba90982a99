// Tensor memory in use on a device and the most in use since a mark, so a benchmark can report
// what running one model needs while another model is also loaded. Process-wide figures (the
// resident set) cannot tell two models apart, and glibc keeps freed memory resident on purpose
// (core/allocator.h), so the CPU is measured at LibTorch's allocator instead.
#pragma once

#include <torch/types.h>

#include <cstdint>

namespace claw::bench {

class TensorMemoryMeter {
 public:
  // On the CPU, routes LibTorch's CPU allocations through a counting allocator from now on;
  // tensors allocated before are not seen, so in_use() counts only what came after.
  explicit TensorMemoryMeter(torch::Device device);

  // CPU tensor allocations (of at least one byte) made since the first meter was made; the
  // difference between two readings counts those of the work between them.
  std::int64_t cpu_allocations() const;

  // Bytes of tensor memory allocated now.
  std::int64_t in_use() const;
  // Starts a new peak at what is in use now.
  void mark();
  // The most bytes in use since mark(), less what was in use at mark().
  std::int64_t peak_since_mark() const;

 private:
  torch::Device device_;
  std::int64_t at_mark_ = 0;
};

}  // namespace claw::bench
