#include "core/data_dir.h"

#include <cstdlib>
#include <vector>

#include "core/error.h"
#include "core/format.h"

namespace claw {
namespace fs = std::filesystem;

namespace {

std::optional<fs::path>& override_dir() {
  static std::optional<fs::path> dir;
  return dir;
}

std::vector<fs::path> candidates() {
  std::vector<fs::path> dirs;
  if (override_dir()) dirs.push_back(*override_dir());
  if (const char* env = std::getenv("CLAW_DATA"); env != nullptr && *env != '\0') {
    dirs.emplace_back(env);
  }
  dirs.push_back(fs::path(CLAW_SOURCE_DIR).parent_path() / "shared" / "data");
  dirs.emplace_back("../shared/data");
  if (const char* xdg = std::getenv("XDG_DATA_HOME"); xdg != nullptr && *xdg != '\0') {
    dirs.push_back(fs::path(xdg) / "claw");
  } else if (const char* home = std::getenv("HOME"); home != nullptr && *home != '\0') {
    dirs.push_back(fs::path(home) / ".local" / "share" / "claw");
  }
  return dirs;
}

}  // namespace

void set_data_dir_override(const fs::path& dir) {
  CLAW_CHECK(fs::is_directory(dir), dir.string(), ": --data-dir is not a directory");
  override_dir() = dir;
}

fs::path data_dir() {
  const std::vector<fs::path> dirs = candidates();
  for (const fs::path& dir : dirs) {
    if (fs::is_directory(dir)) return dir;
  }
  CLAW_FAIL("no data directory found (tried ",
            join(dirs, [](const fs::path& d) { return d.string(); }),
            "); pass --data-dir or set CLAW_DATA");
}

fs::path data_file(const fs::path& relative) {
  const fs::path path = data_dir() / relative;
  CLAW_CHECK(fs::exists(path), path.string(), ": not found in the data directory");
  return path;
}

std::optional<fs::path> resolve_model_name(const std::string& name) {
  if (fs::exists(name)) return fs::path(name);
  if (name.empty() || name.find('/') != std::string::npos) return std::nullopt;
  for (const fs::path& dir : candidates()) {
    const fs::path model_dir = dir / "models" / name;
    if (fs::exists(model_dir / "config.json")) return model_dir;
    if (fs::exists(model_dir / (name + ".bin"))) return model_dir / (name + ".bin");
  }
  return std::nullopt;
}

}  // namespace claw
