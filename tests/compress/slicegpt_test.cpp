// SliceGPT against its invariants: folding the norms, and rotating without slicing, leave the
// logits unchanged; a sliced model decodes with its KV cache as it scores whole sequences, and
// survives a save and load.
#include <gtest/gtest.h>

#include <ATen/CPUGeneratorImpl.h>

#include <limits>

#include "compress/compression.h"
#include "compress/rotation.h"
#include "compress/slicegpt.h"
#include "core/error.h"
#include "model/content_hash.h"
#include "model/decoder.h"
#include "model/layout.h"
#include "model/load.h"
#include "model/presets.h"
#include "model/save.h"
#include "support/model_checks.h"
#include "support/test_support.h"

namespace claw::compress {
namespace {

// tiny-qwen2 (q/k/v biases, a tied head) with norm scales that are not all ones, so folding
// them is a real change.
model::Model tiny_qwen2() {
  model::Model model = model::random_model(model::preset_config("tiny-qwen2"), 4, torch::kFloat);
  at::Generator generator = at::detail::createCPUGenerator(6);
  const auto scales = [&](const torch::Tensor& like) {
    return at::empty(like.sizes(), like.options()).uniform_(0.5, 1.5, generator);
  };
  for (model::DecoderLayer& layer : model.layers) {
    layer.attn_norm = scales(layer.attn_norm);
    layer.mlp_norm = scales(layer.mlp_norm);
  }
  model.final_norm = scales(model.final_norm);
  return model;
}

SliceGptOptions calibration(const model::ModelConfig& config, std::int64_t round = 1) {
  SliceGptOptions options;
  options.calibration = {testing::random_sequences(config, 6, 24, 11), "random tokens", 4};
  options.round = round;
  return options;
}

class SliceGptInvariance : public ::testing::TestWithParam<std::string> {
 protected:
  model::Model original() const {
    return GetParam() == "stories260K" ? testing::load_stories260k() : tiny_qwen2();
  }
};

TEST_P(SliceGptInvariance, FoldingTheNormsKeepsTheLogits) {
  const model::Model reference = original();
  model::Model folded = original();
  fold_norms(folded);
  EXPECT_FALSE(folded.config.tie_word_embeddings);
  EXPECT_TRUE(folded.final_norm.equal(torch::ones_like(folded.final_norm)));
  EXPECT_LT(testing::largest_logit_difference(reference, folded), 1e-4);
}

TEST_P(SliceGptInvariance, RotatingWithoutSlicingKeepsTheLogits) {
  const model::Model reference = original();
  model::Model rotated = original();
  for (const FinalOrientation orientation : {FinalOrientation::kPca, FinalOrientation::kRandom}) {
    SliceGptOptions options = calibration(reference.config);
    options.orientation = orientation;
    rotated = original();
    SliceGpt method(options);
    compress_model(rotated, method, 0.0);
    ASSERT_TRUE(rotated.config.slicing.has_value());
    EXPECT_LT(testing::largest_logit_difference(reference, rotated), 1e-4);
    // The rotation is not the identity: the embedding did change.
    EXPECT_FALSE(rotated.embed.allclose(reference.embed, 1e-3, 1e-3));
  }
}

INSTANTIATE_TEST_SUITE_P(, SliceGptInvariance, ::testing::Values("stories260K", "tiny-qwen2"));

TEST(SliceGpt, SlicedModelDecodesAsItScoresAndSurvivesSaving) {
  model::Model model = testing::load_stories260k();
  const Json record =
      compress_model(model, *std::make_unique<SliceGpt>(calibration(model.config, 8)), 0.5);
  const std::int64_t width = model.config.slicing->widths.front();
  EXPECT_EQ(width, 32);
  EXPECT_EQ(model.embed.size(1), 32);
  EXPECT_EQ(model.lm_head.size(1), 64);  // the head is rotated, not sliced
  EXPECT_EQ(record["details"]["hidden_size"]["after"], 32);

  // Incremental decoding through the KV cache gives the logits of the whole sequence.
  EXPECT_LT(testing::cached_decoding_error(model, testing::random_tokens(model.config, 2, 9, 8), 5),
            1e-4);

  const testing::ScratchDir scratch;
  model::save_model(model, scratch / "sliced", {});
  const model::Model loaded = model::load_model(scratch / "sliced");
  EXPECT_EQ(model::content_hash(loaded), model::content_hash(model));
  EXPECT_EQ(testing::largest_logit_difference(model, loaded), 0.0);
  // The shortcut matrices count: 5 layers × (32·32 + 32·32), except the last MLP's 64·32.
  EXPECT_EQ(model::count_parameters(loaded.config).shortcut, 4 * 2 * 32 * 32 + 32 * 32 + 64 * 32);
}

TEST(SliceGpt, RefusesWhatItCannotDo) {
  EXPECT_EQ(sliced_width(896, 0.3, 8), 624);  // floor(627.2) = 627, down to a multiple of 8
  EXPECT_EQ(sliced_width(64, 0.9, 1), 6);
  EXPECT_THROW(sliced_width(64, 0.9, 8), Error);

  model::Model model = testing::load_stories260k();
  SliceGpt method(calibration(model.config));
  compress_model(model, method, 0.25);
  EXPECT_THROW(compress_model(model, method, 0.25), Error);  // already sliced

  SliceGptOptions too_long = calibration(model.config);
  too_long.calibration.sequences.assign(2, std::vector<std::int32_t>(513, 1));
  model::Model fresh = testing::load_stories260k();
  SliceGpt too_long_method(too_long);
  EXPECT_THROW(compress_model(fresh, too_long_method, 0.25), Error);  // context is 512

  model::Model overflowing = testing::load_stories260k();
  overflowing.embed[3].fill_(std::numeric_limits<float>::infinity());
  SliceGptOptions uses_token_3 = calibration(overflowing.config);
  uses_token_3.calibration.sequences[0][0] = 3;
  try {
    SliceGpt method(uses_token_3);
    compress_model(overflowing, method, 0.25);
    FAIL() << "a non-finite covariance was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("not finite"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace claw::compress
