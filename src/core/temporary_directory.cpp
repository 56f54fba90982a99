#include "core/temporary_directory.h"

#include <stdlib.h>

#include "core/error.h"

namespace claw {
namespace fs = std::filesystem;

TemporaryDirectory::TemporaryDirectory(const std::string& prefix) {
  std::string pattern = (fs::temp_directory_path() / (prefix + "XXXXXX")).string();
  CLAW_CHECK(mkdtemp(pattern.data()) != nullptr, "cannot make a temporary directory in ",
             fs::temp_directory_path().string());
  path_ = pattern;
}

TemporaryDirectory::~TemporaryDirectory() {
  std::error_code ignored;  // a destructor reports nothing; what is left is in /tmp
  fs::remove_all(path_, ignored);
}

}  // namespace claw
