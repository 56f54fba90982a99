// Shared by the tests: data files, scratch directories, and running the claw executable.
#pragma once

#include <filesystem>
#include <functional>
#include <string>

#include "core/json.h"
#include "core/temporary_directory.h"
#include "text/tokenizer.h"

namespace claw::testing {

// A file under the data directory (../shared/data beside the repository).
std::filesystem::path data_path(const std::filesystem::path& relative);

// A file kept in the repository under tests/ (a reference output and the script that made it).
std::filesystem::path fixture_path(const std::filesystem::path& relative);

// A fresh directory removed with everything in it when the object dies.
class ScratchDir : public TemporaryDirectory {
 public:
  ScratchDir() : TemporaryDirectory("claw-test-") {}
};

struct CommandResult {
  int exit_code = -1;
  std::string out;  // stdout
  std::string err;  // stderr
};

// The claw executable under test.
std::filesystem::path claw_binary();

// Runs `claw ARGS` through the shell (arguments are not quoted for you) with `input` on stdin.
CommandResult run_claw(const std::string& args, const std::string& input = "");

// Runs `claw ARGS` and expects it to fail with `message` somewhere in its stderr.
void expect_claw_refuses(const std::string& args, const std::string& message);

// Expects `body` to throw claw::Error with `message` in its text.
void expect_error_containing(const std::function<void()>& body, const std::string& message);

// `claw info --json MODEL`, with a test failure when it does not succeed.
Json model_info(const std::string& model);

// The tokenizer at `relative` in the data directory, loaded once per test executable (a
// tokenizer.json takes a fraction of a second to load).
const claw::text::Tokenizer& shared_tokenizer(const std::filesystem::path& relative);

void write_bytes(const std::filesystem::path& path, const std::string& bytes);
std::string read_bytes(const std::filesystem::path& path);

}  // namespace claw::testing
