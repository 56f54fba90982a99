// stories260K, the tiny real llama2.c model, against llama2.c's own greedy output.
#include <gtest/gtest.h>
#include <torch/types.h>

#include "model/content_hash.h"
#include "model/decoder.h"
#include "model/generate.h"
#include "model/load.h"
#include "model/save.h"
#include "support/test_support.h"
#include "text/llama2c_tokenizer.h"

namespace claw::model {
namespace {

using claw::testing::data_path;
using claw::testing::run_claw;
using claw::testing::ScratchDir;

std::filesystem::path checkpoint() {
  return data_path("models/stories260K/stories260K.bin");
}
std::filesystem::path tokenizer() {
  return data_path("models/stories260K/tok512.bin");
}
std::string golden_text() {
  return claw::testing::read_bytes(data_path("models/stories260K/golden_greedy_t0.txt"));
}

// Greedy text as llama2.c's run.c prints it for `-t 0 -n 256` and no prompt.
std::string greedy_story(const Model& model) {
  const text::Llama2cTokenizer tok = text::Llama2cTokenizer::from_file(tokenizer());
  GenerateOptions options;
  options.steps = 256;
  options.sampler.temperature = 0;
  options.stop_tokens = {1};
  std::vector<std::int32_t> ids{1};
  for (std::int64_t id : generate(model, {1}, options))
    ids.push_back(static_cast<std::int32_t>(id));
  return tok.decode(ids) + "\n";
}

TEST(Stories260K, GreedyGenerationMatchesLlama2c) {
  EXPECT_EQ(greedy_story(load_model(checkpoint())), golden_text());
}

TEST(Stories260K, ConvertedHfDirectoryGivesTheSameTextAndLogits) {
  const ScratchDir scratch;
  const Model original = load_model(checkpoint());
  save_model(original, scratch / "hf", {});
  const Model converted = load_model(scratch / "hf");
  EXPECT_EQ(greedy_story(converted), golden_text());

  torch::NoGradGuard no_grad;
  const torch::Tensor tokens = torch::randint(0, 512, {2, 64}, torch::kInt64);
  const torch::Tensor a = forward(original, tokens), b = forward(converted, tokens);
  EXPECT_LT((a - b).abs().max().item<double>(), 1e-5);
  EXPECT_EQ(content_hash(original), content_hash(converted));
}

TEST(Stories260K, HfWriteReadIsBitIdentical) {
  const ScratchDir scratch;
  const Model first = load_model(checkpoint());
  save_model(first, scratch / "a", {});
  const Model second = load_model(scratch / "a");
  save_model(second, scratch / "b", {});
  const Model third = load_model(scratch / "b");
  for (const TensorSpec& spec : tensor_layout(first.config)) {
    EXPECT_TRUE(tensor_slot(second, spec).equal(tensor_slot(third, spec))) << spec.name;
  }
  EXPECT_EQ(claw::testing::read_bytes(scratch / "a" / "model.safetensors"),
            claw::testing::read_bytes(scratch / "b" / "model.safetensors"));
}

TEST(Stories260K, Bf16RoundTripMovesWeightsOnlyByRounding) {
  const ScratchDir scratch;
  const Model f32 = load_model(checkpoint());
  SaveOptions as_bf16;
  as_bf16.dtype = torch::kBFloat16;
  save_model(f32, scratch / "bf16", as_bf16);
  const Model back = load_model(scratch / "bf16", {torch::kCPU, torch::kFloat32});
  for (const TensorSpec& spec : tensor_layout(f32.config)) {
    const torch::Tensor before = tensor_slot(f32, spec), after = tensor_slot(back, spec);
    // bf16 keeps 8 significant bits, so rounding to nearest moves a value by at most half a
    // unit in the last place: 2^-8 of its magnitude.
    const torch::Tensor bound = before.abs() * std::ldexp(1.0, -8);
    EXPECT_TRUE(((after - before).abs() <= bound).all().item<bool>()) << spec.name;
    EXPECT_FALSE(after.equal(before)) << spec.name << " was not rounded at all";
  }
}

TEST(Stories260K, CommandLinePrintsTheGoldenText) {
  const auto result = run_claw("generate --model " + checkpoint().string() + " --tokenizer " +
                               tokenizer().string() + " --temperature 0 --steps 256");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, golden_text());

  const ScratchDir scratch;
  const auto converted =
      run_claw("convert " + checkpoint().string() + " " + (scratch / "hf").string());
  ASSERT_EQ(converted.exit_code, 0) << converted.err;
  const auto from_hf =
      run_claw("generate --model " + (scratch / "hf").string() + " --temperature 0 --steps 256");
  ASSERT_EQ(from_hf.exit_code, 0) << from_hf.err;
  EXPECT_EQ(from_hf.out, golden_text());
}

}  // namespace
}  // namespace claw::model
