#include "core/atomic_file.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <system_error>

#include "core/error.h"

namespace claw {
namespace fs = std::filesystem;

namespace {

// A sibling name unique to this process, so concurrent writers never share a temporary:
// NAME.partial.PID while being written, NAME.replaced.PID for an old directory on its way out.
fs::path temporary_sibling(const fs::path& path, const char* tag) {
  fs::path name = path.filename();
  name += concat(".", tag, ".", ::getpid());
  return path.parent_path() / name;
}

// Removes the temporaries of `path` that a killed writer left behind (a writer that is still
// running keeps its own): a process killed mid-write cannot clean up, so the next writer of the
// same output does.
void remove_stale_temporaries(const fs::path& path) {
  const std::string name = path.filename().string();
  std::error_code ec;
  fs::directory_iterator it(path.parent_path().empty() ? "." : path.parent_path(), ec);
  for (; !ec && it != fs::directory_iterator(); it.increment(ec)) {
    const std::string sibling = it->path().filename().string();
    for (const char* tag : {".partial.", ".replaced."}) {
      const std::string prefix = name + tag;
      if (sibling.size() <= prefix.size() || sibling.compare(0, prefix.size(), prefix) != 0)
        continue;
      char* end = nullptr;
      const long pid = std::strtol(sibling.c_str() + prefix.size(), &end, 10);
      const bool alive = ::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM;
      if (*end != '\0' || pid <= 0 || alive) continue;
      std::error_code ignored;
      // An old version moved aside by a writer killed before the new one took its place is the
      // only copy: it goes back.
      if (std::string(tag) == ".replaced." && !fs::exists(path)) {
        fs::rename(it->path(), path, ignored);
      } else {
        fs::remove_all(it->path(), ignored);
      }
    }
  }
}

// For interruption tests: CLAW_KILL_AT_WRITE=N kills the process with SIGKILL as it is about to
// commit the Nth atomic file it writes, as a power cut or `kill -9` would: the temporary file holds
// what stdio had flushed of it, and the output is not in place.
bool kill_due_in_this_file() {
  static const long target = [] {
    const char* value = std::getenv("CLAW_KILL_AT_WRITE");
    return value == nullptr ? 0L : std::strtol(value, nullptr, 10);
  }();
  static long files = 0;
  return target > 0 && ++files == target;
}

// Swaps two paths in one step where the filesystem can (Linux renameat2), so an output that is
// replaced never disappears, even for a moment.
bool exchange_paths(const fs::path& a, const fs::path& b) {
  return ::renameat2(AT_FDCWD, a.c_str(), AT_FDCWD, b.c_str(), RENAME_EXCHANGE) == 0;
}

// "out/" names the directory "out"; kept as given, its temporaries would be made inside it.
fs::path without_trailing_separator(fs::path path) {
  return path.has_filename() ? path : path.parent_path();
}

}  // namespace

AtomicFileWriter::AtomicFileWriter(fs::path path)
    : path_(std::move(path)), temp_path_(temporary_sibling(path_, "partial")) {
  remove_stale_temporaries(path_);
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
  if (size == 0) return;  // an empty tensor's data may be null, which fwrite must not see
  CLAW_CHECK(std::fwrite(data, 1, size, file_) == size, path_.string(),
             ": write failed: ", std::strerror(errno));
}

void AtomicFileWriter::commit() {
  CLAW_CHECK(file_ != nullptr, path_.string(), ": committed twice");
  if (kill_due_in_this_file()) ::kill(::getpid(), SIGKILL);
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
  remove_stale_temporaries(path_);
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
  if (had_previous && exchange_paths(staging_, path_)) {
    committed_ = true;
    fs::remove_all(staging_, ec);  // now the old version
    return;
  }
  // Without an atomic exchange the old version is moved aside first; a kill between the two
  // renames leaves it whole under NAME.replaced.PID.
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
