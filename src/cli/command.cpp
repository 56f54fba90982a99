#include "cli/command.h"

#include "core/data_dir.h"
#include "core/error.h"

namespace claw::cli {

std::filesystem::path resolve_model_argument(const std::string& argument) {
  const std::optional<std::filesystem::path> path = resolve_model_name(argument);
  CLAW_CHECK(path.has_value(), argument,
             ": no such model file or directory, nor a model of that name in the data directory");
  return *path;
}

}  // namespace claw::cli
