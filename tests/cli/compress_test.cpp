// claw compress through the command line: the outputs load with the widths the ratio implies,
// carry a standard config, the tokenizer and compression.json, and bad requests are refused.
#include <gtest/gtest.h>

#include "core/json.h"
#include "support/test_support.h"

namespace claw {
namespace {

using claw::testing::run_claw;
using claw::testing::ScratchDir;

TEST(Compress, WritesAStandardConfigTheTokenizerAndTheRecord) {
  const ScratchDir scratch;
  const std::string out = (scratch / "pruned").string();
  const auto result = run_claw(
      "-q compress --model stories260K --method prunenet --ratio 0.5 "
      "--episodes 3 --out " +
      out + " --policy-out " + (scratch / "policy.safetensors").string());
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const Json config = read_json_file(scratch / "pruned" / "config.json");
  EXPECT_EQ(config["intermediate_size"], 86);  // floor(0.5 · 172)
  EXPECT_FALSE(config.contains("claw")) << "a uniformly pruned model needs no claw extension";
  EXPECT_EQ(testing::read_bytes(scratch / "pruned" / "tokenizer.bin"),
            testing::read_bytes(testing::data_path("models/stories260K/tok512.bin")));

  const Json record = read_json_file(scratch / "pruned" / "compression.json");
  const Json original = testing::model_info("stories260K"), pruned = testing::model_info(out);
  EXPECT_EQ(record["method"], "prunenet");
  EXPECT_EQ(record["ratio"], 0.5);
  EXPECT_EQ(record["settings"]["seed"], 0);
  EXPECT_EQ(record["settings"]["episodes"], 3);
  EXPECT_EQ(record["source"]["content_hash"], original["content_hash"]);
  EXPECT_EQ(record["parameters"]["before"]["total"], original["parameters"]["total"]);
  EXPECT_EQ(record["parameters"]["after"]["total"], pruned["parameters"]["total"]);
  EXPECT_EQ(record["parameters"]["after"]["without_embeddings"],
            pruned["parameters"]["without_embeddings"]);
  // Each of 5 layers loses 86 channels of gate, up and down (64 wide each).
  const auto removed = 5 * 86 * 3 * 64;
  EXPECT_EQ(record["parameters"]["before"]["total"].get<int>() -
                record["parameters"]["after"]["total"].get<int>(),
            removed);
  EXPECT_NEAR(record["parameters"]["fraction_removed"]["total"].get<double>(),
              removed / original["parameters"]["total"].get<double>(), 1e-12);
  EXPECT_EQ(record["details"]["reward_curve"].size(), 3u);
  EXPECT_TRUE(record["details"]["timings"].contains("training_s"));

  // The saved policy compresses the same model at another ratio without training.
  const auto reused = run_claw(
      "-q compress --model stories260K --method prunenet --ratio 0.7 "
      "--out " +
      (scratch / "reused").string() + " --policy-in " + (scratch / "policy.safetensors").string());
  ASSERT_EQ(reused.exit_code, 0) << reused.err;
  const Json reused_record = read_json_file(scratch / "reused" / "compression.json");
  EXPECT_FALSE(reused_record["details"].contains("reward_curve"));
  EXPECT_EQ(testing::model_info((scratch / "reused").string())["intermediate_sizes"][0],
            51);  // floor(0.3 · 172)
}

TEST(Compress, SliceGptWithoutSlicingKeepsTheLossAndSlicingShrinksTheStream) {
  const ScratchDir scratch;
  const std::string rotated = (scratch / "rotated").string(),
                    sliced = (scratch / "sliced").string();
  const std::string calib = " --calib tinystories:train --calib-samples 16 --calib-len 128";
  ASSERT_EQ(run_claw("-q compress --model stories260K --method slicegpt --ratio 0 --out " +
                     rotated + calib)
                .exit_code,
            0);
  const auto loss = [](const std::string& model) {
    const auto result = run_claw("-q eval --json --model " + model +
                                 " --task tinystories:test --limit-tokens 3000");
    EXPECT_EQ(result.exit_code, 0) << result.err;
    return Json::parse(result.out)["results"]["tinystories:test"]["loss,none"].get<double>();
  };
  EXPECT_NEAR(loss(rotated), loss("stories260K"), 1e-5);

  const auto result =
      run_claw("-q compress --model stories260K --method slicegpt --ratio 0.5 --out " + sliced +
               calib + " --final-orientation random");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const Json info = testing::model_info(sliced);
  EXPECT_EQ(info["residual_widths"][0], 32);
  EXPECT_EQ(info["residual_widths"][10], 64);
  const Json config = read_json_file(scratch / "sliced" / "config.json");
  EXPECT_EQ(config["claw"]["residual_widths"].size(), 11u);
  const Json record = read_json_file(scratch / "sliced" / "compression.json");
  EXPECT_EQ(record["settings"]["calib"], "tinystories:train");
  EXPECT_EQ(record["settings"]["calib_samples"], 16);
  EXPECT_EQ(record["settings"]["final_orientation"], "random");
  // The untied head and the shortcut matrices are counted.
  EXPECT_EQ(record["parameters"]["after"]["total"], info["parameters"]["total"]);
  EXPECT_GT(info["parameters"]["shortcuts"].get<int>(), 0);
  EXPECT_GT(info["parameters"]["head"].get<int>(), 0);
  EXPECT_GT(loss(sliced), loss("stories260K"));

  const auto again =
      run_claw("compress --model " + sliced + " --method slicegpt --ratio 0.5 --out " +
               (scratch / "twice").string() + calib);
  EXPECT_NE(again.err.find("already sliced"), std::string::npos) << again.err;
}

TEST(Compress, RefusesBadRequestsClearly) {
  const ScratchDir scratch;
  const std::string model = "--model stories260K ", out = " --out " + (scratch / "o").string();
  testing::expect_claw_refuses("compress " + model + "--method random --ratio 1" + out,
                               "outside [0, 1)");
  testing::expect_claw_refuses("compress " + model + "--method random --ratio -0.1" + out,
                               "outside [0, 1)");
  testing::expect_claw_refuses("compress " + model + "--method random --ratio 0.999" + out,
                               "leaves no FFN channel");
  testing::expect_claw_refuses("compress " + model + "--method wanda --ratio 0.5" + out,
                               "unknown compression method 'wanda'");
  testing::expect_claw_refuses(
      "compress " + model + "--method random --ratio 0.5 --out /proc/claw-out", "cannot create");
  testing::expect_claw_refuses(
      "compress " + model + "--method random --ratio 0.5 --policy-out p" + out,
      "--policy-out belongs to prunenet, not to random");
  testing::expect_claw_refuses(
      "compress " + model + "--method random --ratio 0.5 --calib tinystories" + out,
      "--calib belongs to slicegpt, shortgpt, heads, flap, not to random");
  testing::expect_claw_refuses("compress " + model + "--method slicegpt --ratio 0.5" + out,
                               "--calib must be given: calibration text");
  testing::expect_claw_refuses(
      "compress " + model + "--method slicegpt --ratio 0.5 --calib tinystories --calib-len 600" +
          out,
      "longer than the model's context of 512");
  testing::expect_claw_refuses(
      "compress " + model + "--method slicegpt --ratio 0.9 --calib tinystories" + out,
      "keeps no dimension of 64");
  // WikiText-2 calibrates on its train split, which the data directory lacks: said before the
  // weights are read (no "loaded" line), not after.
  const testing::CommandResult no_train =
      run_claw("compress " + model + "--method slicegpt --ratio 0.5 --calib wikitext2" + out);
  EXPECT_NE(no_train.exit_code, 0);
  EXPECT_NE(no_train.err.find("wiki.train.raw"), std::string::npos) << no_train.err;
  EXPECT_EQ(no_train.err.find("loaded"), std::string::npos) << no_train.err;
  testing::write_bytes(scratch / "short.txt", "Once upon a time.\nThe end.\n");
  testing::expect_claw_refuses("compress " + model + "--method slicegpt --ratio 0.5 --calib text:" +
                                   (scratch / "short.txt").string() + out,
                               "the calibration text runs out after 0 of 128 sequences");

  ASSERT_EQ(run_claw("-q compress " + model + "--method random --ratio 0.5" + out).exit_code, 0);
  testing::expect_claw_refuses("compress " + model + "--method random --ratio 0.5" + out,
                               "already exists");
  EXPECT_EQ(
      run_claw("-q compress " + model + "--method magnitude --ratio 0.5 --force" + out).exit_code,
      0);

  // A policy trained for stories260K's 172 × 64 FFN does not fit tiny-qwen2's.
  const std::string policy = (scratch / "policy.safetensors").string();
  ASSERT_EQ(run_claw("-q compress " + model + "--method prunenet --ratio 0.5 --episodes 1 --out " +
                     (scratch / "p").string() + " --policy-out " + policy)
                .exit_code,
            0);
  ASSERT_EQ(run_claw("-q init --preset tiny-qwen2 " + (scratch / "q").string()).exit_code, 0);
  testing::expect_claw_refuses("compress --model " + (scratch / "q").string() +
                                   " --method prunenet --ratio 0.5 --out " +
                                   (scratch / "q-out").string() + " --policy-in " + policy,
                               "the policy scores FFN matrices of 172 channels");
}

}  // namespace
}  // namespace claw
