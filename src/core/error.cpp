#include "core/error.h"

#include <cstring>

namespace claw::detail {

void throw_error(const char* file, int line, std::string message) {
  // Keep only the path below src/ so the location reads the same on every machine.
  const char* short_file = std::strstr(file, "src/");
  throw Error(std::move(message), concat(short_file ? short_file : file, ":", line));
}

}  // namespace claw::detail
