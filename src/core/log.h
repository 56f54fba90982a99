// Diagnostics on stderr. Results go to stdout; everything for humans about progress goes here.
#pragma once

#include <string>

#include "core/error.h"

namespace claw::log {

enum class Level { kQuiet, kInfo, kDebug };

void set_level(Level level);
Level level();

void write(Level level, const std::string& line);

template <typename... Args>
void info(Args&&... args) {
  if (level() >= Level::kInfo) write(Level::kInfo, concat(std::forward<Args>(args)...));
}

template <typename... Args>
void debug(Args&&... args) {
  if (level() >= Level::kDebug) write(Level::kDebug, concat(std::forward<Args>(args)...));
}

// Warnings are shown even with --quiet: they tell the user something was not as expected.
template <typename... Args>
void warn(Args&&... args) {
  write(Level::kQuiet, concat("warning: ", std::forward<Args>(args)...));
}

}  // namespace claw::log
