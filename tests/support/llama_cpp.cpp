#include "support/llama_cpp.h"

#include <gtest/gtest.h>

#include <sstream>

#include "core/subprocess.h"
#include "support/test_support.h"

namespace claw::testing {
namespace {

std::vector<std::int32_t> parse_id_line(const std::string& text) {
  std::vector<std::int32_t> ids;
  std::istringstream words(text);
  long long id = 0;
  while (words >> id) ids.push_back(static_cast<std::int32_t>(id));
  return ids;
}

CommandOutput run_driver(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {llama_cpp_driver().string()};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_command(argv);
}

}  // namespace

std::filesystem::path llama_cpp_driver() {
  return CLAW_LLAMA_CPP_DRIVER;
}

std::string llama_cpp_missing_message() {
  return "llama_cpp_driver is not built: llama.cpp is not installed (run scripts/setup.sh, which "
         "installs it in .deps/llama.cpp, then re-run cmake)";
}

std::vector<std::vector<std::int32_t>> llama_cpp_tokenize(const std::filesystem::path& gguf,
                                                          const std::vector<std::string>& texts,
                                                          bool bos) {
  const ScratchDir scratch;
  std::vector<std::string> args = {"tokenize", gguf.string()};
  for (std::size_t i = 0; i < texts.size(); ++i) {
    args.push_back((scratch / ("text" + std::to_string(i))).string());
    write_bytes(args.back(), texts[i]);
  }
  if (bos) args.push_back("--bos");
  const CommandOutput result = run_driver(args);
  EXPECT_EQ(result.exit_code, 0) << result.out;
  std::vector<std::vector<std::int32_t>> ids;
  std::istringstream lines(result.out);
  for (std::string line; std::getline(lines, line);) ids.push_back(parse_id_line(line));
  EXPECT_EQ(ids.size(), texts.size());
  return ids;
}

torch::Tensor llama_cpp_logits(const std::filesystem::path& gguf,
                               const std::vector<std::int32_t>& ids, int stride) {
  const ScratchDir scratch;
  std::string line;
  for (const std::int32_t id : ids) line += std::to_string(id) + ' ';
  write_bytes(scratch / "ids", line);
  const CommandOutput result = run_driver({"logits", gguf.string(), (scratch / "ids").string(),
                                           (scratch / "logits").string(), "--threads", "1",
                                           "--stride", std::to_string(stride)});
  EXPECT_EQ(result.exit_code, 0) << result.out;
  if (result.exit_code != 0) return {};
  const std::string bytes = read_bytes(scratch / "logits");
  // Every stride-th position, and the last where it is not one of them.
  const auto n = static_cast<std::int64_t>(ids.size());
  const std::int64_t positions = n / stride + (n % stride != 0 ? 1 : 0);
  const auto count = static_cast<std::int64_t>(bytes.size() / sizeof(float));
  EXPECT_EQ(count % positions, 0);
  return torch::from_blob(const_cast<char*>(bytes.data()), {positions, count / positions},
                          torch::kFloat32)
      .clone();
}

void export_gguf(const std::string& model, const std::filesystem::path& out,
                 const std::string& dtype) {
  const CommandResult result = run_claw("export " + shell_quote(model) + " " +
                                        shell_quote(out.string()) + " --out-dtype " + dtype);
  ASSERT_EQ(result.exit_code, 0) << result.err;
}

}  // namespace claw::testing
