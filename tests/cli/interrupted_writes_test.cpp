// Every file claw writes is written atomically. Each test runs one writing command once per
// file it writes, killed (SIGKILL, through CLAW_KILL_AT_WRITE) just before that file is committed,
// and checks after every kill that the output is exactly as before (absent, or the old version byte
// for byte) and the inputs are untouched. A final uninterrupted run must then succeed and leave
// no temporaries of the killed runs behind.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <functional>
#include <map>

#include "core/error.h"
#include "core/hash.h"
#include "io/safetensors.h"
#include "support/test_support.h"

namespace claw {
namespace {
namespace fs = std::filesystem;
using testing::run_claw;
using testing::ScratchDir;

std::string content_hash(const fs::path& file) {
  ContentHasher hasher;
  hasher.update(testing::read_bytes(file));
  return hasher.hex_digest();
}

// Every regular file under `path` (or `path` itself) and the hash of its contents; empty when
// `path` is absent.
using Snapshot = std::map<std::string, std::string>;
Snapshot snapshot(const fs::path& path) {
  Snapshot files;
  if (fs::is_regular_file(path)) files[""] = content_hash(path);
  if (fs::is_directory(path)) {
    for (const auto& entry : fs::recursive_directory_iterator(path)) {
      if (entry.is_regular_file()) {
        files[fs::relative(entry.path(), path).string()] = content_hash(entry.path());
      }
    }
  }
  return files;
}

// Names beside `output` that a writer uses while at work.
std::vector<std::string> temporaries_beside(const fs::path& output) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(output.parent_path())) {
    const std::string name = entry.path().filename().string();
    if (name.find(".partial.") != std::string::npos ||
        name.find(".replaced.") != std::string::npos) {
      names.push_back(name);
    }
  }
  return names;
}

// Runs `claw ARGS` killed in its 1st, 1+stride-th, ... file until a run writes fewer files and
// finishes. An output the command finishes before its other work may also be there whole when
// `is_whole` says so.
void expect_every_interruption_harmless(
    const std::string& args, const fs::path& output, const std::vector<fs::path>& inputs,
    int stride = 1, const std::function<bool(const fs::path&)>& is_whole = nullptr) {
  const auto before = snapshot(output);
  std::map<fs::path, Snapshot> input_before;
  for (const fs::path& input : inputs) input_before[input] = snapshot(input);

  int killed = 0;
  for (int file = 1; file <= 40 * stride; file += stride) {
    SCOPED_TRACE("killed in file " + std::to_string(file));
    ::setenv("CLAW_KILL_AT_WRITE", std::to_string(file).c_str(), 1);
    const testing::CommandResult result = run_claw("-q " + args);
    ::unsetenv("CLAW_KILL_AT_WRITE");
    for (const fs::path& input : inputs) EXPECT_EQ(snapshot(input), input_before[input]) << input;
    if (result.exit_code == 0) {
      // Fewer files than `file`: this run went through, and cleaned up after the killed ones.
      EXPECT_GT(killed, 0) << "the command wrote nothing atomically";
      EXPECT_FALSE(snapshot(output).empty());
      EXPECT_EQ(temporaries_beside(output), std::vector<std::string>());
      return;
    }
    // SIGKILL shows as a signal (-1) or, through the shell, as 128 + 9.
    ASSERT_TRUE(result.exit_code == -1 || result.exit_code == 137) << result.err;
    ++killed;
    if (!is_whole || !fs::exists(output) || !is_whole(output)) {
      EXPECT_EQ(snapshot(output), before);
    }
  }
  ADD_FAILURE() << "still killed after " << killed << " runs";
}

// stories260K and its tokenizer, copied where a faulty writer could damage them.
fs::path writable_model(const ScratchDir& scratch) {
  const fs::path dir = scratch / "input";
  fs::create_directories(dir);
  for (const char* file : {"stories260K.bin", "tok512.bin"}) {
    fs::copy_file(testing::data_path(fs::path("models/stories260K") / file), dir / file);
  }
  return dir / "stories260K.bin";
}

TEST(InterruptedWrites, CompressLeavesNoModelOrPolicy) {
  const ScratchDir scratch;
  const fs::path model = writable_model(scratch);
  expect_every_interruption_harmless("compress --model " + model.string() +
                                         " --method random --ratio 0.5 --out " +
                                         (scratch / "out").string(),
                                     scratch / "out", {model.parent_path()});
  expect_every_interruption_harmless(
      "compress --model " + model.string() + " --method prunenet --episodes 1 --ratio 0.5 --out " +
          (scratch / "pruned").string() + " --policy-out " +
          (scratch / "policy.safetensors").string(),
      scratch / "policy.safetensors", {model.parent_path()}, 1, [](const fs::path& policy) {
        // The policy is written before the compressed model; a
        // later kill leaves it, whole.
        try {
          return !io::SafetensorsFile(policy).tensors().empty();
        } catch (const Error&) {
          return false;
        }
      });
}

TEST(InterruptedWrites, ForcedCompressKeepsTheOldModel) {
  const ScratchDir scratch;
  const fs::path model = writable_model(scratch);
  const std::string out = (scratch / "out").string();
  ASSERT_EQ(run_claw("-q compress --model " + model.string() +
                     " --method random --ratio 0.3 --out " + out)
                .exit_code,
            0);
  expect_every_interruption_harmless(
      "compress --model " + model.string() + " --method magnitude --ratio 0.5 --force --out " + out,
      out, {model.parent_path()});
}

TEST(InterruptedWrites, RecoverLeavesNoModelOrAdapter) {
  const ScratchDir scratch;
  const fs::path model = writable_model(scratch);
  expect_every_interruption_harmless("recover --model " + model.string() +
                                         " --data tinystories:train --tokens 64 --seq-len 32 "
                                         "--batch 2 --lora-rank 2 --out " +
                                         (scratch / "out").string(),
                                     scratch / "out", {model.parent_path()});
}

TEST(InterruptedWrites, FitKeepsTheOldLawFile) {
  const ScratchDir scratch;
  std::string csv = "model,task,method,ratio,tokens,metric,value,base_value\n";
  for (const double ratio : {0.1, 0.3, 0.5, 0.7}) {
    for (const double tokens : {0.0, 1e6}) {
      csv += concat("m,t,random,", ratio, ",", tokens, ",loss,",
                    2.0 * (1 + ratio) * (1 + 0.1 / (tokens / 1e6 + 1)) + ratio * 0.01, ",2\n");
    }
  }
  const fs::path results = scratch / "results.csv";
  testing::write_bytes(results, csv);
  testing::write_bytes(scratch / "laws.json", "an older law file\n");
  expect_every_interruption_harmless(
      "fit --results " + results.string() + " --out " + (scratch / "laws.json").string(),
      scratch / "laws.json", {results});
}

TEST(InterruptedWrites, EvalLeavesNoSampleLog) {
  const ScratchDir scratch;
  const fs::path model = writable_model(scratch);
  expect_every_interruption_harmless("eval --model " + model.string() +
                                         " --task piqa --limit 4 --log-samples " +
                                         (scratch / "samples.jsonl").string(),
                                     scratch / "samples.jsonl", {model.parent_path()});
}

TEST(InterruptedWrites, ReportKeepsTheOldReport) {
  const ScratchDir scratch;
  testing::write_bytes(scratch / "study.toml", R"(name = "interrupted"
models = ["stories260K"]
ratios = [0.2, 0.4, 0.6]
[methods.random]
[evaluation]
loss = [{ task = "tinystories:test", limit_tokens = 300 }]
)");
  const fs::path dir = scratch / "study";
  const testing::CommandResult study =
      run_claw("-q study " + (scratch / "study.toml").string() + " --out " + dir.string());
  ASSERT_EQ(study.exit_code, 0) << study.err;
  // A report writes two files per plot and three documents; every fifth is enough to land in
  // each kind.
  expect_every_interruption_harmless(
      "report " + (dir / "study.sqlite").string() + " --out " + (dir / "report").string(),
      dir / "report", {dir / "study.sqlite"}, 5);
}

}  // namespace
}  // namespace claw
