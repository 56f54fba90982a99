#include "core/atomic_file.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <system_error>

#include "core/error.h"

namespace claw {
namespace fs = std::filesystem;

namespace {

// A sibling name unique to this process, so concurrent writers never share a temporary.
fs::path temporary_sibling(const fs::path& path, const char* tag) {
  fs::path name = path.filename();
  name += concat(".", tag, ".", ::getpid());
  return path.parent_path() / name;
}

// "out/" names the directory "out"; kept as given, its temporaries would be made inside it.
fs::path without_trailing_separator(fs::path path) {
  return path.has_filename() ? path : path.parent_path();
}

}  // namespace

AtomicFileWriter::AtomicFileWriter(fs::path path)
    : path_(std::move(path)), temp_path_(temporary_sibling(path_, "partial")) {
  file_ = std::fopen(temp_path_.c_str(), "wb");
  CLAW_CHECK(file_ != nullptr, path_.string(), ": cannot create: ", std::strerror(errno));
}

AtomicFileWriter::~AtomicFileWriter() {
  if (file_ != nullptr) {
    std::fclose(file_);
    std::error_code ignored;
    fs::remove(temp_path_, ignored);
  }
}

void AtomicFileWriter::write(const void* data, std::size_t size) {
  CLAW_CHECK(file_ != nullptr, path_.string(), ": write after commit");
  CLAW_CHECK(std::fwrite(data, 1, size, file_) == size, path_.string(),
             ": write failed: ", std::strerror(errno));
}

void AtomicFileWriter::commit() {
  CLAW_CHECK(file_ != nullptr, path_.string(), ": committed twice");
  const bool flushed = std::fflush(file_) == 0 && ::fsync(::fileno(file_)) == 0;
  const int saved_errno = errno;
  std::fclose(file_);
  file_ = nullptr;
  std::error_code ec;
  if (!flushed) {
    fs::remove(temp_path_, ec);
    CLAW_FAIL(path_.string(), ": write failed: ", std::strerror(saved_errno));
  }
  fs::rename(temp_path_, path_, ec);
  if (ec) {
    fs::remove(temp_path_, ec);
    CLAW_FAIL(path_.string(), ": cannot move into place: ", ec.message());
  }
}

void write_file_atomic(const fs::path& path, std::string_view contents) {
  AtomicFileWriter writer(path);
  writer.write(contents);
  writer.commit();
}

bool path_within(const fs::path& path, const fs::path& dir) {
  const fs::path inner = fs::weakly_canonical(path), outer = fs::weakly_canonical(dir);
  auto inner_it = inner.begin();
  for (auto outer_it = outer.begin(); outer_it != outer.end(); ++outer_it, ++inner_it) {
    if (outer_it->empty()) continue;  // the empty last element of a path ending in '/'
    if (inner_it == inner.end() || *inner_it != *outer_it) return false;
  }
  return true;
}

AtomicDirectory::AtomicDirectory(fs::path path, bool replace)
    : path_(without_trailing_separator(std::move(path))),
      staging_(temporary_sibling(path_, "partial")),
      replace_(replace) {
  CLAW_CHECK(replace_ || !fs::exists(path_), path_.string(),
             ": already exists; choose another output or pass --force to replace it");
  std::error_code ec;
  fs::remove_all(staging_, ec);
  fs::create_directories(staging_, ec);
  CLAW_CHECK(!ec, staging_.string(), ": cannot create directory: ", ec.message());
}

AtomicDirectory::~AtomicDirectory() {
  if (!committed_) {
    std::error_code ignored;
    fs::remove_all(staging_, ignored);
  }
}

void AtomicDirectory::commit() {
  CLAW_CHECK(!committed_, path_.string(), ": committed twice");
  std::error_code ec;
  const fs::path previous = temporary_sibling(path_, "replaced");
  const bool had_previous = fs::exists(path_);
  CLAW_CHECK(!had_previous || replace_, path_.string(), ": appeared while it was being written");
  if (had_previous) {
    fs::rename(path_, previous, ec);
    CLAW_CHECK(!ec, path_.string(), ": cannot move the old version aside: ", ec.message());
  }
  fs::rename(staging_, path_, ec);
  if (ec) {
    std::error_code restore;
    if (had_previous) fs::rename(previous, path_, restore);
    CLAW_FAIL(path_.string(), ": cannot move into place: ", ec.message());
  }
  committed_ = true;
  if (had_previous) fs::remove_all(previous, ec);
}

void check_directory_writable(const fs::path& path, bool replace) {
  const AtomicDirectory probe(path, replace);
}

void check_file_writable(const fs::path& path) {
  CLAW_CHECK(!fs::is_directory(path), path.string(), ": is a directory; expected a file name");
  const AtomicFileWriter probe(path);
}

}  // namespace claw
