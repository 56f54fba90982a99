// Atomic outputs: a file or directory appears complete under its final name or not at all.
#pragma once

#include <cstddef>
#include <cstdio>
#include <filesystem>
#include <string_view>

namespace claw {

// Streams bytes into a temporary file beside `path`; commit() flushes it to disk and renames it
// into place. Destroyed without commit(), it removes the temporary file.
class AtomicFileWriter {
 public:
  explicit AtomicFileWriter(std::filesystem::path path);
  ~AtomicFileWriter();
  AtomicFileWriter(const AtomicFileWriter&) = delete;
  AtomicFileWriter& operator=(const AtomicFileWriter&) = delete;

  void write(const void* data, std::size_t size);
  void write(std::string_view text) { write(text.data(), text.size()); }
  void commit();

 private:
  std::filesystem::path path_;
  std::filesystem::path temp_path_;
  std::FILE* file_ = nullptr;
};

void write_file_atomic(const std::filesystem::path& path, std::string_view contents);

// Whether `path` is `dir` or lies inside it (after resolving both); an output directory that is
// replaced whole must not hold any of its own inputs.
bool path_within(const std::filesystem::path& path, const std::filesystem::path& dir);

// Builds a directory under a temporary name beside `path`; commit() renames it into place.
// An existing `path` is refused unless `replace` is set, in which case it is swapped out only
// once the new directory is complete. Destroyed without commit(), it removes the staging tree.
class AtomicDirectory {
 public:
  AtomicDirectory(std::filesystem::path path, bool replace);
  ~AtomicDirectory();
  AtomicDirectory(const AtomicDirectory&) = delete;
  AtomicDirectory& operator=(const AtomicDirectory&) = delete;

  // Where to write the directory's files before commit().
  const std::filesystem::path& staging() const { return staging_; }
  void commit();

 private:
  std::filesystem::path path_;
  std::filesystem::path staging_;
  bool replace_;
  bool committed_ = false;
};

// Fail now, before long work, where writing `path` later would fail: an existing directory
// without `replace`, or a place where nothing can be created. Leaves nothing behind.
void check_directory_writable(const std::filesystem::path& path, bool replace);
void check_file_writable(const std::filesystem::path& path);

}  // namespace claw
