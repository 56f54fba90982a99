// claw export MODEL OUT.gguf, and GGUF files as the input of info, eval, bench and compress.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "core/json.h"
#include "io/gguf.h"
#include "model/save.h"
#include "support/model_checks.h"
#include "support/test_support.h"

namespace claw {
namespace {

using claw::testing::expect_claw_refuses;
using claw::testing::run_claw;
using claw::testing::ScratchDir;

TEST(Export, Stories260kExportsAndEvaluatesAsTheOriginal) {
  const ScratchDir scratch;
  const std::string out = (scratch / "s.gguf").string();
  const auto result = run_claw("export stories260K " + out + " --out-dtype f32");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.out.find("wrote " + out + ": llama, 47 tensors, f32,"), std::string::npos)
      << result.out;
  const io::GgufFile file(out);
  EXPECT_EQ(file.find("tokenizer.ggml.model")->strings.front(), "llama");
  EXPECT_EQ(file.find("llama.block_count")->ints.front(), 5);

  const Json original = testing::model_info("stories260K"), gguf = testing::model_info(out);
  EXPECT_EQ(gguf["content_hash"], original["content_hash"]);
  EXPECT_EQ(gguf["parameters"], original["parameters"]);
  const std::string eval = " --task tinystories:test --limit-tokens 400 --json";
  const auto a = run_claw("-q eval --model stories260K" + eval);
  const auto b = run_claw("-q eval --model " + out + eval);
  ASSERT_EQ(a.exit_code, 0) << a.err;
  ASSERT_EQ(b.exit_code, 0) << b.err;
  const Json ra = Json::parse(a.out)["results"]["tinystories:test"],
             rb = Json::parse(b.out)["results"]["tinystories:test"];
  EXPECT_EQ(ra["loss,none"], rb["loss,none"]);
  EXPECT_EQ(ra["tokens_scored"], rb["tokens_scored"]);
  EXPECT_EQ(ra["protocol"], rb["protocol"]);
}

TEST(Export, RefusesAnExistingOutputWithoutForceAndBadFlags) {
  const ScratchDir scratch;
  const std::string out = (scratch / "s.gguf").string();
  testing::write_bytes(out, "keep");
  expect_claw_refuses("export stories260K " + out, "already exists; pass --force");
  EXPECT_EQ(testing::read_bytes(out), "keep");
  expect_claw_refuses("export stories260K " + out + " --force --out-dtype q4_0",
                      "--out-dtype must be f32, f16, bf16 or q8_0");
  const auto forced = run_claw("-q export stories260K " + out + " --force --out-dtype q8_0");
  ASSERT_EQ(forced.exit_code, 0) << forced.err;
  EXPECT_TRUE(io::is_gguf_file(out));
}

// Per-layer widths go to llama.cpp as deci, unpadded; --pad writes llama padded to the widest
// and names what that costs; both read back as the model they were.
TEST(Export, PerLayerWidthsAreDeciOrPaddedWithPad) {
  const ScratchDir scratch;
  model::Model pruned = testing::load_stories260k();
  pruned.config.intermediate_sizes = {172, 96, 40, 172, 128};
  for (std::size_t l = 0; l < pruned.layers.size(); ++l) {
    const std::int64_t width = pruned.config.intermediate_sizes[l];
    model::DecoderLayer& layer = pruned.layers[l];
    layer.gate.weight = layer.gate.weight.narrow(0, 0, width).contiguous();
    layer.up.weight = layer.up.weight.narrow(0, 0, width).contiguous();
    layer.down.weight = layer.down.weight.narrow(1, 0, width).contiguous();
  }
  model::SaveOptions save;
  save.extra_files = {{testing::data_path("models/stories260K/tok512.bin"), "tokenizer.bin"}};
  model::save_model(pruned, scratch / "pruned", save);
  const std::string input = (scratch / "pruned").string();
  const Json info = testing::model_info(input);
  const std::string exact = (scratch / "e.gguf").string();
  const auto deci = run_claw("export " + input + " " + exact);
  ASSERT_EQ(deci.exit_code, 0) << deci.err;
  EXPECT_NE(deci.out.find(": deci, "), std::string::npos) << deci.out;
  EXPECT_EQ(deci.err.find("padding"), std::string::npos) << deci.err;
  const std::string padded = (scratch / "p.gguf").string();
  const auto result = run_claw("export " + input + " " + padded + " --pad");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.out.find(": llama, "), std::string::npos) << result.out;
  EXPECT_NE(result.err.find("padding: MLP widths zero-padded to the widest layer's 172 (llama "
                            "reads one feed_forward_length), layers 1, 2, 4: "),
            std::string::npos)
      << result.err;
  for (const std::string& out : {exact, padded}) {
    const Json back = testing::model_info(out);
    EXPECT_EQ(back["intermediate_sizes"], info["intermediate_sizes"]);
    EXPECT_EQ(back["content_hash"], info["content_hash"]);
  }
}

TEST(Export, RefusesSliceGpt) {
  const ScratchDir scratch;
  const std::string sliced = (scratch / "sliced").string();
  const auto made = run_claw("-q compress --model stories260K --out " + sliced +
                             " --method slicegpt --ratio 0.25 --seed 1 --calib tinystories:train"
                             " --calib-samples 4 --calib-len 64");
  ASSERT_EQ(made.exit_code, 0) << made.err;
  expect_claw_refuses("export " + sliced + " " + (scratch / "s.gguf").string(),
                      "llama.cpp's graph has no place for the residual shortcut matrices");
}

TEST(Export, GgufInputCompressesAndCarriesItsTokenizer) {
  const ScratchDir scratch;
  const std::string gguf = (scratch / "s.gguf").string(), out = (scratch / "c").string();
  ASSERT_EQ(run_claw("-q export stories260K " + gguf).exit_code, 0);
  const auto result =
      run_claw("-q compress --model " + gguf + " --out " + out + " --method random --ratio 0.25");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_TRUE(std::filesystem::exists(scratch / "c" / "tokenizer.bin"));
  const auto bench =
      run_claw("-q bench --model " + gguf + " --prefill 8 --decode 2 --reps 1 --warmup 0 --json");
  EXPECT_EQ(bench.exit_code, 0) << bench.err;
}

}  // namespace
}  // namespace claw
