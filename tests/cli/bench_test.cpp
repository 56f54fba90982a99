// claw bench through the command line: a model against its base gives the figures of every
// setting with speedups, and comparisons that mean nothing or cannot fit are refused.
#include <gtest/gtest.h>

#include <filesystem>

#include "core/json.h"
#include "support/test_support.h"

namespace claw {
namespace {

using claw::testing::expect_claw_refuses;
using claw::testing::run_claw;
using claw::testing::ScratchDir;

constexpr const char* kQuick = " --batch 1,2 --prefill 8 --decode 4 --reps 2 --warmup 1";

TEST(Bench, MeasuresAPrunedModelAgainstItsBase) {
  const ScratchDir scratch;
  const std::string pruned = (scratch / "pruned").string();
  ASSERT_EQ(
      run_claw("-q compress --model stories260K --method magnitude --ratio 0.5 --out " + pruned)
          .exit_code,
      0);
  const auto result =
      run_claw("-q bench --model " + pruned + " --base stories260K --json" + std::string(kQuick));
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const Json record = Json::parse(result.out);
  EXPECT_EQ(record["device"], "cpu");
  EXPECT_EQ(record["reps"], 2);
  EXPECT_EQ(record["models"]["model"]["path"], pruned);
  EXPECT_EQ(record["models"]["base"]["content_hash"],
            testing::model_info("stories260K")["content_hash"]);
  // f32 as stored; magnitude pruning at 0.5 keeps 86 of 172 channels in each of 5 layers.
  EXPECT_EQ(record["models"]["base"]["weight_bytes"].get<std::int64_t>() -
                record["models"]["model"]["weight_bytes"].get<std::int64_t>(),
            5 * 86 * 3 * 64 * 4);
  ASSERT_EQ(record["settings"].size(), 2u);
  EXPECT_EQ(record["settings"][1]["batch"], 2);
  for (const Json& setting : record["settings"]) {
    EXPECT_GT(setting["speedup"]["decode"]["ideal"].get<double>(), 1);
    EXPECT_GT(setting["speedup"]["prefill"]["measured"]["median"].get<double>(), 0);
    EXPECT_GT(setting["model"]["peak_memory_bytes"].get<std::int64_t>(),
              record["models"]["model"]["weight_bytes"].get<std::int64_t>());
  }

  // The table names both models and the speedups.
  const auto table =
      run_claw("-q bench --model " + pruned + " --base stories260K" + std::string(kQuick));
  ASSERT_EQ(table.exit_code, 0) << table.err;
  EXPECT_NE(table.out.find("prefill speedup"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("decode tok/s"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("batch 2, prefill 8 tokens, then 4 decoded"), std::string::npos);
}

TEST(Bench, RefusesABaseOfAnotherArchitectureOrTokenizer) {
  const ScratchDir scratch;
  const std::string qwen = (scratch / "qwen").string(), llama = (scratch / "llama").string();
  ASSERT_EQ(run_claw("-q init --preset tiny-qwen2 " + qwen).exit_code, 0);
  ASSERT_EQ(run_claw("-q init --preset tiny-llama3 " + llama).exit_code, 0);
  expect_claw_refuses("bench --model " + qwen + " --base " + llama + kQuick,
                      "is a LlamaForCausalLM but --model " + qwen + " is a Qwen2ForCausalLM");

  // The same architecture and vocabulary, but tokenizers that differ.
  const std::string tokenizer = testing::data_path("tokenizers/qwen/tokenizer.json").string();
  const std::string a = (scratch / "a").string(), b = (scratch / "b").string();
  ASSERT_EQ(run_claw("-q init --preset tiny-qwen2 --tokenizer " + tokenizer + " " + a).exit_code,
            0);
  ASSERT_EQ(run_claw("-q init --preset tiny-qwen2 --tokenizer " + tokenizer + " " + b).exit_code,
            0);
  std::string text = testing::read_bytes(scratch / "b" / "tokenizer.json");
  text.insert(text.rfind('}'), " ");
  testing::write_bytes(scratch / "b" / "tokenizer.json", text);
  expect_claw_refuses("bench --model " + a + " --base " + b + kQuick, "have different tokenizers");
}

TEST(Bench, RefusesWhatWouldNotFitInMemoryBeforeLoading) {
  expect_claw_refuses("bench --model stories260K --batch 100000000 --prefill 64",
                      "available; lower --batch or --prefill");
}

TEST(Bench, RefusesBadSettings) {
  expect_claw_refuses("bench --model stories260K --prefill 0", "--prefill must be positive");
  expect_claw_refuses("bench --model stories260K --prefill 400",
                      "exceed the model's context of 512");
  expect_claw_refuses("bench --model stories260K --decode 0", "--decode must be positive");
  expect_claw_refuses("bench --model stories260K --warmup -1", "--warmup must be >= 0");
  expect_claw_refuses("bench --model no-such-model", "no-such-model: no such model");
  expect_claw_refuses("bench --model stories260K --engine llama.cpp --batch 1,8",
                      "--batch llama.cpp is measured at batch 1 only, not 8");
  expect_claw_refuses("bench --model stories260K --engine llama.cpp --gguf-dtype q4",
                      "--gguf-dtype must be f32, f16, bf16 or q8_0, not 'q4'");
}

}  // namespace
}  // namespace claw
