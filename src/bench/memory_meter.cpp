#include "bench/memory_meter.h"

#include <c10/core/CPUAllocator.h>
#include <torch/version.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <new>

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

std::atomic<std::int64_t> cpu_in_use{0}, cpu_peak{0}, cpu_allocation_count{0};

// Each block starts with a header that records its size, so the deleter needs nothing but the
// data pointer. LibTorch's raw_allocate() insists on DataPtrs whose context is their data, which
// rules out a wrapper that carries the size in a context object. 64 bytes keep the data at
// LibTorch's alignment.
constexpr std::size_t kHeader = 64;

void release(void* data) {
  if (data == nullptr) return;
  void* block = static_cast<std::byte*>(data) - kHeader;
  cpu_in_use -= static_cast<std::int64_t>(*static_cast<std::size_t*>(block));
  std::free(block);
}

// Counts the bytes of LibTorch's CPU tensors in use and their peak.
class CountingCpuAllocator final : public c10::Allocator {
 public:
  c10::DataPtr allocate(size_t bytes) CLAW_ALLOCATE_QUALIFIER override {
    const c10::Device cpu(c10::DeviceType::CPU);
    if (bytes == 0) return {nullptr, nullptr, &release, cpu};
    void* block = nullptr;
    if (posix_memalign(&block, kHeader, bytes + kHeader) != 0) {
      throw std::bad_alloc();
    }
    *static_cast<std::size_t*>(block) = bytes;
    ++cpu_allocation_count;
    const std::int64_t now = cpu_in_use += static_cast<std::int64_t>(bytes);
    std::int64_t peak = cpu_peak.load();
    while (now > peak && !cpu_peak.compare_exchange_weak(peak, now)) {
    }
    void* data = static_cast<std::byte*>(block) + kHeader;
    return {data, data, &release, cpu};
  }

  c10::DeleterFnPtr raw_deleter() const override { return &release; }

  // Required from LibTorch 2.3 on; an unused extra method before it.
  void copy_data(void* dest, const void* src, std::size_t count) const {
    std::memcpy(dest, src, count);
  }
};

// Installed once and never removed: tensors it allocated may outlive any meter.
void install_counting_cpu_allocator() {
  static const bool installed = [] {
    c10::SetCPUAllocator(new CountingCpuAllocator, /*priority=*/1);
    return true;
  }();
  (void)installed;
}

struct Usage {
  std::int64_t current, peak;
};

Usage usage(torch::Device device) {
  if (device.is_cpu()) return {cpu_in_use.load(), cpu_peak.load()};
#ifdef CLAW_WITH_CUDA
  const auto stats = c10::cuda::CUDACachingAllocator::getDeviceStats(device.index());
  return {stats.allocated_bytes[0].current, stats.allocated_bytes[0].peak};
#else
  CLAW_FAIL("measuring memory on ", device.str(), " needs a CUDA build of claw");
#endif
}

void reset_peak(torch::Device device) {
  if (device.is_cpu()) return cpu_peak.store(cpu_in_use.load());
#ifdef CLAW_WITH_CUDA
  c10::cuda::CUDACachingAllocator::resetPeakStats(device.index());
#endif
}

}  // namespace

TensorMemoryMeter::TensorMemoryMeter(torch::Device device)
    : device_(device.is_cuda() && !device.has_index() ? torch::Device(torch::kCUDA, 0) : device) {
  if (device_.is_cpu()) install_counting_cpu_allocator();
  mark();
}

std::int64_t TensorMemoryMeter::cpu_allocations() const {
  CLAW_CHECK(device_.is_cpu(), "allocations are counted on the CPU only");
  return cpu_allocation_count.load();
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
