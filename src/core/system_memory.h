// What the operating system says about memory: enough to refuse work that cannot fit before it
// starts, instead of meeting the kernel's OOM killer halfway through.
#pragma once

#include <cstdint>
#include <optional>

namespace claw {

// MemAvailable from /proc/meminfo: what can be allocated without swapping. Unset where the
// kernel does not say (not Linux).
std::optional<std::int64_t> available_memory_bytes();

// VmHWM from /proc/self/status: the most memory this process has held resident.
std::optional<std::int64_t> peak_resident_bytes();

}  // namespace claw
