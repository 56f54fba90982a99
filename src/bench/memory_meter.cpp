#include "bench/memory_meter.h"

#include <c10/core/CPUAllocator.h>
#include <torch/version.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <mutex>

#include "core/error.h"

#ifdef CLAW_WITH_CUDA
#include <c10/cuda/CUDACachingAllocator.h>
#endif

namespace claw::bench {
namespace {

// LibTorch 2.3 made Allocator::allocate non-const.
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 3)
#define CLAW_ALLOCATE_QUALIFIER
#else
#define CLAW_ALLOCATE_QUALIFIER const
#endif

// Wraps LibTorch's default CPU allocator and keeps a running total and peak of the bytes it
// has handed out. Each allocation carries its size to its deleter in a small context object.
class CountingCpuAllocator final : public c10::Allocator {
 public:
  explicit CountingCpuAllocator(c10::Allocator* inner) : inner_(inner) {}

  c10::DataPtr allocate(size_t bytes) CLAW_ALLOCATE_QUALIFIER override {
    auto* block = new Block{inner_->allocate(bytes), bytes, this};
    const std::int64_t now = in_use_ += static_cast<std::int64_t>(bytes);
    std::int64_t peak = peak_.load();
    while (now > peak && !peak_.compare_exchange_weak(peak, now)) {
    }
    void* data = block->inner.get();
    return {data, block, &release, c10::Device(c10::DeviceType::CPU)};
  }

  // Required from LibTorch 2.3 on; an unused extra method before it.
  void copy_data(void* dest, const void* src, std::size_t count) const {
    std::memcpy(dest, src, count);
  }

  std::int64_t in_use() const { return in_use_.load(); }
  std::int64_t peak() const { return peak_.load(); }
  void reset_peak() { peak_.store(in_use_.load()); }

 private:
  struct Block {
    c10::DataPtr inner;
    size_t bytes;
    const CountingCpuAllocator* owner;
  };

  static void release(void* context) {
    auto* block = static_cast<Block*>(context);
    block->owner->in_use_ -= static_cast<std::int64_t>(block->bytes);
    delete block;  // frees the inner allocation
  }

  c10::Allocator* inner_;
  // Mutable because LibTorch before 2.3 allocates through a const allocator.
  mutable std::atomic<std::int64_t> in_use_{0}, peak_{0};
};

// Installed once and never removed: tensors it allocated may outlive any meter.
CountingCpuAllocator& counting_cpu_allocator() {
  static CountingCpuAllocator* allocator = [] {
    auto* counting = new CountingCpuAllocator(c10::GetDefaultCPUAllocator());
    c10::SetCPUAllocator(counting, /*priority=*/1);
    return counting;
  }();
  return *allocator;
}

struct Usage {
  std::int64_t current, peak;
};

Usage usage(torch::Device device) {
  if (device.is_cpu()) return {counting_cpu_allocator().in_use(), counting_cpu_allocator().peak()};
#ifdef CLAW_WITH_CUDA
  const auto stats = c10::cuda::CUDACachingAllocator::getDeviceStats(device.index());
  return {stats.allocated_bytes[0].current, stats.allocated_bytes[0].peak};
#else
  CLAW_FAIL("measuring memory on ", device.str(), " needs a CUDA build of claw");
#endif
}

void reset_peak(torch::Device device) {
  if (device.is_cpu()) return counting_cpu_allocator().reset_peak();
#ifdef CLAW_WITH_CUDA
  c10::cuda::CUDACachingAllocator::resetPeakStats(device.index());
#endif
}

}  // namespace

TensorMemoryMeter::TensorMemoryMeter(torch::Device device)
    : device_(device.is_cuda() && !device.has_index() ? torch::Device(torch::kCUDA, 0) : device) {
  mark();
}

std::int64_t TensorMemoryMeter::in_use() const {
  return usage(device_).current;
}

void TensorMemoryMeter::mark() {
  reset_peak(device_);
  at_mark_ = in_use();
}

std::int64_t TensorMemoryMeter::peak_since_mark() const {
  return std::max<std::int64_t>(0, usage(device_).peak - at_mark_);
}

}  // namespace claw::bench
