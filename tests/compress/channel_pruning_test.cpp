// FFN channel pruning: the pruned model computes what the full model computes with the removed
// channels' activations forced to zero, and every method keeps the same count per layer.
#include <gtest/gtest.h>

#include <ATen/CPUGeneratorImpl.h>

#include "compress/compression.h"
#include "compress/magnitude_channels.h"
#include "core/error.h"
#include "model/decoder.h"
#include "model/presets.h"

namespace claw::compress {
namespace {

model::ModelConfig tiny_config(bool mlp_bias) {
  model::ModelConfig c = model::preset_config("tiny-qwen2");
  c.mlp_bias = mlp_bias;
  return c;
}

torch::Tensor sample_tokens(const model::ModelConfig& config) {
  at::Generator generator = at::detail::createCPUGenerator(3);
  return at::randint(config.vocab_size, {2, 9}, generator, torch::kLong);
}

// The full model with each dropped channel's activation silu(gate)·up multiplied by zero, which
// is what zeroing that channel's column of down does.
model::Model with_channels_silenced(const model::Model& full,
                                    const std::vector<torch::Tensor>& kept) {
  model::Model silenced = full;
  for (std::size_t l = 0; l < kept.size(); ++l) {
    model::DecoderLayer& layer = silenced.layers[l];
    torch::Tensor mask = torch::zeros({layer.down.weight.size(1)});
    mask.index_fill_(0, kept[l], 1.0);
    layer.down.weight = layer.down.weight * mask;
  }
  return silenced;
}

class ChannelPruningMethods : public ::testing::TestWithParam<std::tuple<std::string, bool>> {};

TEST_P(ChannelPruningMethods, PrunedOutputEqualsFullOutputWithChannelsSilenced) {
  const auto& [method_name, mlp_bias] = GetParam();
  const model::Model full = model::random_model(tiny_config(mlp_bias), 5, torch::kFloat);
  model::Model pruned = model::random_model(tiny_config(mlp_bias), 5, torch::kFloat);
  const Json options = method_name == "prunenet" ? Json{{"episodes", 3}} : Json::object();
  const auto method = make_method(method_name, options, {.seed = 9}, pruned.config);
  const Json record = compress_model(pruned, *method, 0.4);

  // Recover which channels each layer kept: the surviving gate rows are rows of the original.
  std::vector<torch::Tensor> kept;
  for (std::size_t l = 0; l < full.layers.size(); ++l) {
    const torch::Tensor& before = full.layers[l].gate.weight;
    const torch::Tensor& after = pruned.layers[l].gate.weight;
    const std::int64_t width = before.size(0);
    ASSERT_EQ(after.size(0), static_cast<std::int64_t>(0.6 * width));
    const torch::Tensor matches = (after.unsqueeze(1) == before.unsqueeze(0)).all(2);  // [k, d_ff]
    ASSERT_TRUE((matches.sum(1) == 1).all().item<bool>());
    kept.push_back(matches.to(torch::kLong).argmax(1));
    // One index set for gate rows, up rows and down columns (and the biases).
    const torch::Tensor& index = kept.back();
    EXPECT_TRUE(pruned.layers[l].up.weight.equal(full.layers[l].up.weight.index_select(0, index)));
    EXPECT_TRUE(
        pruned.layers[l].down.weight.equal(full.layers[l].down.weight.index_select(1, index)));
    if (mlp_bias) {
      EXPECT_TRUE(pruned.layers[l].up.bias.equal(full.layers[l].up.bias.index_select(0, index)));
      EXPECT_TRUE(pruned.layers[l].down.bias.equal(full.layers[l].down.bias));
    }
    EXPECT_EQ(pruned.config.intermediate_sizes[l], index.numel());
  }
  const torch::Tensor tokens = sample_tokens(full.config);
  const torch::Tensor expected = model::forward(with_channels_silenced(full, kept), tokens);
  const torch::Tensor actual = model::forward(pruned, tokens);
  EXPECT_LT((actual - expected).abs().max().item<double>(), 1e-5);
  // And pruning did change the model.
  EXPECT_GT((model::forward(full, tokens) - actual).abs().max().item<double>(), 1e-4);
  EXPECT_EQ(record["method"], method_name);
  EXPECT_LT(record["parameters"]["after"]["total"].get<std::int64_t>(),
            record["parameters"]["before"]["total"].get<std::int64_t>());
}

INSTANTIATE_TEST_SUITE_P(, ChannelPruningMethods,
                         ::testing::Combine(::testing::Values("random", "magnitude", "prunenet"),
                                            ::testing::Bool()));

TEST(ChannelPruning, KeepsTheFloorOfTheRemainingFraction) {
  EXPECT_EQ(kept_channel_count(4864, 0.5, 0), 2432);  // Qwen2.5-0.5B
  EXPECT_EQ(kept_channel_count(4864, 0.3, 0), 3404);  // 0.7 · 4864 = 3404.8
  EXPECT_EQ(kept_channel_count(172, 0.9, 0), 17);     // stories260K: 17.2
  EXPECT_EQ(kept_channel_count(172, 0.0, 0), 172);
  // (1 − 0.9)·10 is 0.99999999999999978 in binary; the user asked for a tenth of 10.
  EXPECT_EQ(kept_channel_count(10, 0.9, 0), 1);
  EXPECT_THROW(kept_channel_count(172, 0.999, 3), Error);
}

TEST(ChannelPruning, MagnitudeKeepsTheLargestChannels) {
  model::Model model = model::random_model(tiny_config(false), 2, torch::kFloat);
  // Make channel 7 of layer 0 the largest by far and channel 3 the smallest.
  model.layers[0].down.weight.select(1, 7).mul_(10);
  model.layers[0].gate.weight[3].mul_(0);
  model.layers[0].up.weight[3].mul_(0);
  model.layers[0].down.weight.select(1, 3).mul_(0);
  const torch::Tensor magnitudes = channel_magnitudes(model.layers[0]);
  EXPECT_NEAR(magnitudes[3].item<double>(), 0.0, 1e-12);
  const double expected =
      std::sqrt(model.layers[0].gate.weight[5].square().sum().item<double>() +
                model.layers[0].up.weight[5].square().sum().item<double>() +
                model.layers[0].down.weight.select(1, 5).square().sum().item<double>());
  EXPECT_NEAR(magnitudes[5].item<double>(), expected, 1e-6);

  const std::int64_t width = model.config.intermediate_sizes[0];
  const torch::Tensor down_before = model.layers[0].down.weight.clone();
  MagnitudeChannels method;
  compress_model(model, method, 1.0 - 1.5 / static_cast<double>(width));  // keeps one channel
  EXPECT_TRUE(model.layers[0].down.weight.equal(down_before.narrow(1, 7, 1)));
}

TEST(ChannelPruning, RandomSelectionIsSeeded) {
  const auto pruned = [](std::uint64_t seed) {
    model::Model model = model::random_model(tiny_config(false), 2, torch::kFloat);
    compress_model(model, *make_method("random", {}, {.seed = seed}, model.config), 0.5);
    return model.layers[1].gate.weight;
  };
  EXPECT_TRUE(pruned(4).equal(pruned(4)));
  EXPECT_FALSE(pruned(4).equal(pruned(5)));
}

TEST(ChannelPruning, RefusesBadRatiosAndMethods) {
  model::Model model = model::random_model(tiny_config(false), 2, torch::kFloat);
  const auto method = make_method("random", {}, {}, model.config);
  EXPECT_THROW(compress_model(model, *method, 1.0), Error);
  EXPECT_THROW(compress_model(model, *method, -0.1), Error);
  EXPECT_THROW(compress_model(model, *method, std::nan("")), Error);
  EXPECT_THROW(make_method("wanda", {}, {}, model.config), Error);
}

}  // namespace
}  // namespace claw::compress
