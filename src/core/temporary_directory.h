// A fresh directory under the system's temporary one, removed with everything in it when the
// object goes: for files a command makes only to hand to another program.
#pragma once

#include <filesystem>
#include <string>

namespace claw {

class TemporaryDirectory {
 public:
  // `prefix` starts the directory's name ("claw-bench-" → /tmp/claw-bench-Xa81Qz).
  explicit TemporaryDirectory(const std::string& prefix);
  ~TemporaryDirectory();
  TemporaryDirectory(const TemporaryDirectory&) = delete;
  TemporaryDirectory& operator=(const TemporaryDirectory&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

}  // namespace claw
