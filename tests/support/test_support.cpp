#include "support/test_support.h"

#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>

#include "core/data_dir.h"
#include "text/load_tokenizer.h"

namespace claw::testing {
namespace fs = std::filesystem;

fs::path data_path(const fs::path& relative) {
  return data_file(relative);
}

fs::path fixture_path(const fs::path& relative) {
  return fs::path(CLAW_TESTS_DIR) / relative;
}

const text::Tokenizer& shared_tokenizer(const fs::path& relative) {
  static std::map<fs::path, std::unique_ptr<text::Tokenizer>> cache;
  std::unique_ptr<text::Tokenizer>& slot = cache[relative];
  if (!slot) slot = text::load_tokenizer(data_path(relative));
  return *slot;
}

void write_bytes(const fs::path& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

std::string read_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

void expect_claw_refuses(const std::string& args, const std::string& message) {
  const CommandResult result = run_claw(args);
  EXPECT_NE(result.exit_code, 0) << args;
  EXPECT_NE(result.err.find(message), std::string::npos) << args << "\n" << result.err;
}

void expect_error_containing(const std::function<void()>& body, const std::string& message) {
  try {
    body();
    ADD_FAILURE() << "no error; expected one saying: " << message;
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(message), std::string::npos) << e.what();
  }
}

Json model_info(const std::string& model) {
  const CommandResult result = run_claw("info --json " + model);
  EXPECT_EQ(result.exit_code, 0) << result.err;
  return result.exit_code == 0 ? Json::parse(result.out) : Json();
}

std::filesystem::path claw_binary() {
  return CLAW_BINARY;
}

CommandResult run_claw(const std::string& args, const std::string& input) {
  const ScratchDir capture;
  const fs::path in = capture / "stdin", out = capture / "stdout", err = capture / "stderr";
  write_bytes(in, input);
  const std::string command = std::string(CLAW_BINARY) + " " + args + " >" + out.string() + " 2>" +
                              err.string() + " <" + in.string();
  const int status = std::system(command.c_str());
  CommandResult result;
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  result.out = read_bytes(out);
  result.err = read_bytes(err);
  return result;
}

}  // namespace claw::testing
