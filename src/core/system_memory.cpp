#include "core/system_memory.h"

#include <fstream>
#include <sstream>
#include <string>

namespace claw {
namespace {

// The value of a "Key:   1234 kB" line, in bytes.
std::optional<std::int64_t> kilobyte_field(const char* file, const std::string& key) {
  std::ifstream in(file);
  std::string line;
  while (std::getline(in, line)) {
    if (line.compare(0, key.size() + 1, key + ":") != 0) continue;
    std::istringstream fields(line.substr(key.size() + 1));
    std::int64_t kilobytes = 0;
    if (fields >> kilobytes) return kilobytes * 1024;
    return std::nullopt;
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::int64_t> available_memory_bytes() {
  return kilobyte_field("/proc/meminfo", "MemAvailable");
}

std::optional<std::int64_t> peak_resident_bytes() {
  return kilobyte_field("/proc/self/status", "VmHWM");
}

}  // namespace claw
