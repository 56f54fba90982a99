#include "core/log.h"

#include <atomic>
#include <cstdio>

namespace claw::log {
namespace {
std::atomic<Level> g_level{Level::kInfo};
}

void set_level(Level level) {
  g_level = level;
}
Level level() {
  return g_level;
}

void write(Level, const std::string& line) {
  std::fprintf(stderr, "%s\n", line.c_str());
  std::fflush(stderr);
}

}  // namespace claw::log
