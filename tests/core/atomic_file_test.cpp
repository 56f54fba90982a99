#include "core/atomic_file.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <optional>
#include <set>
#include <string>

#include "core/error.h"
#include "support/test_support.h"

namespace {

namespace fs = std::filesystem;
using claw::testing::read_bytes;
using claw::testing::ScratchDir;
using claw::testing::write_bytes;

std::set<std::string> file_names(const fs::path& dir) {
  std::set<std::string> names;
  for (const auto& item : fs::directory_iterator(dir)) names.insert(item.path().filename());
  return names;
}

TEST(AtomicFileWriterTest, ContentAppearsOnlyAfterCommit) {
  const ScratchDir dir;
  const fs::path path = dir / "out.txt";
  claw::AtomicFileWriter writer(path);
  writer.write("hello, ");
  writer.write("world");
  EXPECT_FALSE(fs::exists(path));
  writer.commit();
  EXPECT_EQ(read_bytes(path), "hello, world");
  EXPECT_EQ(file_names(dir.path()), std::set<std::string>{"out.txt"});
}

TEST(AtomicFileWriterTest, DestroyedWithoutCommitLeavesNothing) {
  const ScratchDir dir;
  {
    claw::AtomicFileWriter writer(dir / "out.txt");
    writer.write("partial");
    EXPECT_EQ(file_names(dir.path()).size(), 1u) << "the temporary file should exist meanwhile";
  }
  EXPECT_TRUE(fs::is_empty(dir.path()));
}

TEST(AtomicFileWriterTest, DestroyedWithoutCommitKeepsTheOldFile) {
  const ScratchDir dir;
  write_bytes(dir / "out.txt", "old");
  {
    claw::AtomicFileWriter writer(dir / "out.txt");
    writer.write("new");
  }
  EXPECT_EQ(read_bytes(dir / "out.txt"), "old");
  EXPECT_EQ(file_names(dir.path()), std::set<std::string>{"out.txt"});
}

TEST(AtomicFileWriterTest, RefusesWritesAfterCommitAndASecondCommit) {
  const ScratchDir dir;
  claw::AtomicFileWriter writer(dir / "out.txt");
  writer.commit();
  EXPECT_THROW(writer.write("late"), claw::Error);
  EXPECT_THROW(writer.commit(), claw::Error);
  EXPECT_EQ(read_bytes(dir / "out.txt"), "");
}

TEST(AtomicFileWriterTest, NamesThePathItCannotCreate) {
  const ScratchDir dir;
  const fs::path path = dir / "no-such-dir" / "out.txt";
  try {
    claw::AtomicFileWriter writer(path);
    FAIL() << "created a file in a missing directory";
  } catch (const claw::Error& e) {
    EXPECT_NE(std::string(e.what()).find(path.string() + ": cannot create"), std::string::npos)
        << e.what();
  }
}

TEST(WriteFileAtomicTest, ReplacesAnExistingFile) {
  const ScratchDir dir;
  write_bytes(dir / "out.txt", "an older and longer content");
  claw::write_file_atomic(dir / "out.txt", "new");
  EXPECT_EQ(read_bytes(dir / "out.txt"), "new");
  EXPECT_EQ(file_names(dir.path()), std::set<std::string>{"out.txt"});
}

TEST(AtomicDirectoryTest, BuildsTheDirectoryOnlyAtCommit) {
  const ScratchDir dir;
  const fs::path out = dir / "model";
  claw::AtomicDirectory staged(out, /*replace=*/false);
  write_bytes(staged.staging() / "a.txt", "a");
  EXPECT_FALSE(fs::exists(out));
  staged.commit();
  EXPECT_EQ(read_bytes(out / "a.txt"), "a");
  EXPECT_EQ(file_names(dir.path()), std::set<std::string>{"model"});
}

TEST(AtomicDirectoryTest, RefusesAnExistingPathWithoutReplace) {
  const ScratchDir dir;
  const fs::path out = dir / "model";
  fs::create_directory(out);
  write_bytes(out / "old.txt", "old");
  try {
    claw::AtomicDirectory staged(out, /*replace=*/false);
    FAIL() << "accepted an existing output";
  } catch (const claw::Error& e) {
    EXPECT_NE(std::string(e.what()).find(out.string() + ": already exists"), std::string::npos)
        << e.what();
  }
  EXPECT_EQ(read_bytes(out / "old.txt"), "old");
  EXPECT_EQ(file_names(dir.path()), std::set<std::string>{"model"});
}

TEST(AtomicDirectoryTest, ReplaceSwapsTheOldDirectoryOnlyAtCommit) {
  const ScratchDir dir;
  const fs::path out = dir / "model";
  fs::create_directory(out);
  write_bytes(out / "old.txt", "old");
  claw::AtomicDirectory staged(out, /*replace=*/true);
  write_bytes(staged.staging() / "new.txt", "new");
  EXPECT_EQ(file_names(out), std::set<std::string>{"old.txt"});
  staged.commit();
  EXPECT_EQ(file_names(out), std::set<std::string>{"new.txt"});
  EXPECT_EQ(read_bytes(out / "new.txt"), "new");
  EXPECT_EQ(file_names(dir.path()), std::set<std::string>{"model"});
}

TEST(AtomicDirectoryTest, ReplaceWithoutAnExistingDirectoryCreatesIt) {
  const ScratchDir dir;
  claw::AtomicDirectory staged(dir / "model", /*replace=*/true);
  write_bytes(staged.staging() / "a.txt", "a");
  staged.commit();
  EXPECT_EQ(read_bytes(dir / "model" / "a.txt"), "a");
  EXPECT_EQ(file_names(dir.path()), std::set<std::string>{"model"});
}

TEST(AtomicDirectoryTest, DestroyedWithoutCommitLeavesNothingBehind) {
  const ScratchDir dir;
  {
    claw::AtomicDirectory staged(dir / "model", /*replace=*/false);
    fs::create_directory(staged.staging() / "sub");
    write_bytes(staged.staging() / "sub" / "a.txt", "a");
  }
  EXPECT_TRUE(fs::is_empty(dir.path()));
}

TEST(AtomicDirectoryTest, DestroyedWithoutCommitKeepsTheDirectoryItWouldReplace) {
  const ScratchDir dir;
  const fs::path out = dir / "model";
  fs::create_directory(out);
  write_bytes(out / "old.txt", "old");
  {
    claw::AtomicDirectory staged(out, /*replace=*/true);
    write_bytes(staged.staging() / "new.txt", "new");
  }
  EXPECT_EQ(file_names(out), std::set<std::string>{"old.txt"});
  EXPECT_EQ(file_names(dir.path()), std::set<std::string>{"model"});
}

TEST(AtomicDirectoryTest, RefusesAPathThatAppearedWhileItWasBeingWritten) {
  const ScratchDir dir;
  const fs::path out = dir / "model";
  {
    claw::AtomicDirectory staged(out, /*replace=*/false);
    write_bytes(staged.staging() / "new.txt", "new");
    fs::create_directory(out);
    write_bytes(out / "theirs.txt", "theirs");
    EXPECT_THROW(staged.commit(), claw::Error);
  }
  EXPECT_EQ(file_names(out), std::set<std::string>{"theirs.txt"});
  EXPECT_EQ(file_names(dir.path()), std::set<std::string>{"model"});
}

// Shells complete directory names with a slash; "out/" must still mean the directory "out".
TEST(AtomicDirectoryTest, AcceptsATrailingSeparator) {
  const ScratchDir dir;
  {
    claw::AtomicDirectory staged(dir.path() / "model/", /*replace=*/false);
    write_bytes(staged.staging() / "a.txt", "a");
    EXPECT_FALSE(fs::exists(dir / "model"));
    staged.commit();
  }
  EXPECT_EQ(file_names(dir / "model"), std::set<std::string>{"a.txt"});
  {
    claw::AtomicDirectory staged(dir.path() / "model/", /*replace=*/true);
    write_bytes(staged.staging() / "b.txt", "b");
    staged.commit();
  }
  EXPECT_EQ(file_names(dir / "model"), std::set<std::string>{"b.txt"});
  EXPECT_EQ(file_names(dir.path()), std::set<std::string>{"model"});
}

// The id of a process that has exited (and been reaped).
int dead_pid() {
  const pid_t child = ::fork();
  if (child == 0) ::_exit(0);
  ::waitpid(child, nullptr, 0);
  return child;
}

// A writer killed mid-write leaves its temporaries; the next writer of the same output removes
// them, and leaves alone those of writers still running and those of other outputs.
TEST(StaleTemporariesTest, TheNextWriterRemovesThoseOfDeadWriters) {
  const ScratchDir dir;
  const std::string dead = std::to_string(dead_pid()), alive = std::to_string(::getppid());
  write_bytes(dir / ("out.txt.partial." + dead), "half");
  write_bytes(dir / ("out.txt.partial." + alive), "being written");
  write_bytes(dir / ("other.txt.partial." + dead), "not ours");
  claw::write_file_atomic(dir / "out.txt", "whole");
  EXPECT_EQ(file_names(dir.path()), (std::set<std::string>{"out.txt", "out.txt.partial." + alive,
                                                           "other.txt.partial." + dead}));

  fs::create_directories(dir / ("model.partial." + dead) / "sub");
  write_bytes(dir / ("model.partial." + dead) / "sub" / "a.bin", "half");
  claw::AtomicDirectory staged(dir / "model", /*replace=*/false);
  EXPECT_FALSE(fs::exists(dir / ("model.partial." + dead)));
}

// Without an atomic exchange a replaced directory is moved aside before the new one moves in; a
// kill between the two leaves the old one aside, the only copy, and the next writer restores it.
TEST(StaleTemporariesTest, AnOldDirectoryLeftAsideComesBack) {
  const ScratchDir dir;
  const fs::path aside = dir / ("model.replaced." + std::to_string(dead_pid()));
  fs::create_directory(aside);
  write_bytes(aside / "old.txt", "old");
  EXPECT_THROW(claw::AtomicDirectory(dir / "model", /*replace=*/false), claw::Error);
  EXPECT_EQ(read_bytes(dir / "model" / "old.txt"), "old");
  EXPECT_FALSE(fs::exists(aside));
}

TEST(PathWithinTest, ComparesWholeComponentsOfResolvedPaths) {
  const ScratchDir dir;
  const fs::path out = dir / "out";
  EXPECT_TRUE(claw::path_within(out, out));
  EXPECT_TRUE(claw::path_within(out / "a" / "b.bin", out));
  EXPECT_TRUE(claw::path_within(out / "a" / ".." / "b", out / ""));
  EXPECT_FALSE(claw::path_within(dir / "outside", out));
  EXPECT_FALSE(claw::path_within(dir / "out2" / "x", out));  // a prefix of the name is not inside
  EXPECT_FALSE(claw::path_within(dir.path(), out));
}

}  // namespace
