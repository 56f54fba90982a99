// FLAP and Wanda-sp against references: the channel scores against plain double loops; bias
// compensation keeps each pruned projection's output at the calibration mean; the pruned model,
// with its own width and head count per layer, decodes through its KV cache as it scores whole
// sequences and survives a save and load.
#include <gtest/gtest.h>

#include <ATen/CPUGeneratorImpl.h>

#include "compress/calibration_pass.h"
#include "compress/compression.h"
#include "compress/flap.h"
#include "model/load.h"
#include "model/save.h"
#include "support/model_checks.h"
#include "support/test_support.h"

namespace claw::compress {
namespace {

FlapOptions flap_options(const model::ModelConfig& config, FlapVariant variant) {
  FlapOptions o;
  o.calibration = {testing::random_sequences(config, 6, 16, 13), "random tokens", 3};
  o.variant = variant;
  return o;
}

// The columns of `original` [out, in] that `pruned` [out, kept] kept, matched exactly.
torch::Tensor kept_columns(const torch::Tensor& original, const torch::Tensor& pruned) {
  std::vector<std::int64_t> kept;
  for (std::int64_t j = 0; j < pruned.size(1); ++j) {
    for (std::int64_t i = 0; i < original.size(1); ++i) {
      if (original.select(1, i).equal(pruned.select(1, j))) {
        kept.push_back(i);
        break;
      }
    }
  }
  EXPECT_EQ(static_cast<std::int64_t>(kept.size()), pruned.size(1));
  return torch::tensor(kept, torch::kLong);
}

TEST(Flap, ScoresMatchPlainLoops) {
  at::Generator generator = at::detail::createCPUGenerator(4);
  const torch::Tensor x = at::randn({2, 5, 3}, generator, torch::kFloat);
  const torch::Tensor w = at::randn({4, 3}, generator, torch::kFloat);
  ChannelStatistics statistics;
  statistics.add(x.narrow(0, 0, 1));
  statistics.add(x.narrow(0, 1, 1));
  const torch::Tensor fluctuation = fluctuation_scores(statistics, w);
  const torch::Tensor wanda = wanda_scores(statistics, w);
  const torch::Tensor rows = x.reshape({10, 3}).to(torch::kDouble);
  for (std::int64_t j = 0; j < 3; ++j) {
    double mean = 0, squares = 0, column_l2 = 0, column_l1 = 0;
    for (std::int64_t t = 0; t < 10; ++t) mean += rows[t][j].item<double>() / 10;
    for (std::int64_t t = 0; t < 10; ++t) {
      const double v = rows[t][j].item<double>();
      squares += v * v;
    }
    double variance = 0;
    for (std::int64_t t = 0; t < 10; ++t) {
      variance += std::pow(rows[t][j].item<double>() - mean, 2) / 9;
    }
    for (std::int64_t i = 0; i < 4; ++i) {
      const double wij = w[i][j].item<double>();
      column_l2 += wij * wij;
      column_l1 += std::abs(wij);
    }
    EXPECT_NEAR(fluctuation[j].item<double>(), variance * column_l2, 1e-12) << j;
    EXPECT_NEAR(wanda[j].item<double>(), std::sqrt(squares) * column_l1, 1e-12) << j;
  }
}

TEST(Flap, BiasCompensationKeepsTheOutputAtTheCalibrationMean) {
  const model::Model original = testing::load_stories260k();
  const FlapOptions options = flap_options(original.config, FlapVariant::kFlap);
  model::Model pruned = model::deep_copy(original);
  Flap flap(options);
  compress_model(pruned, flap, 0.3);
  EXPECT_TRUE(pruned.config.o_bias && pruned.config.mlp_bias);
  EXPECT_FALSE(pruned.config.uniform_mlp()) << "adaptive widths differ between layers";

  // The means of what o_proj and down_proj read, on the unpruned model.
  std::vector<ChannelStatistics> heads(original.layers.size()), hidden(original.layers.size());
  CalibrationPass pass(original, calibration_batches(options.calibration, original.device()));
  for (std::size_t l = 0; l < original.layers.size(); ++l) {
    pass.advance({[&](std::size_t, const torch::Tensor& x) { heads[l].add(x); },
                  [&](std::size_t, const torch::Tensor& x) { hidden[l].add(x); }});
  }
  for (std::size_t l = 0; l < original.layers.size(); ++l) {
    const model::DecoderLayer &before = original.layers[l], &after = pruned.layers[l];
    for (const auto& [whole, part, mean] : {std::tuple{&before.down, &after.down, hidden[l].mean()},
                                            std::tuple{&before.o, &after.o, heads[l].mean()}}) {
      const torch::Tensor kept = kept_columns(whole->weight, part->weight);
      const torch::Tensor expected = whole->weight.to(torch::kDouble).mv(mean);
      const torch::Tensor actual = part->weight.to(torch::kDouble).mv(mean.index_select(0, kept)) +
                                   part->bias.to(torch::kDouble);
      EXPECT_LT((actual - expected).abs().max().item<double>(), 1e-5) << "layer " << l;
    }
  }
  EXPECT_LT(
      testing::cached_decoding_error(pruned, testing::random_tokens(pruned.config, 2, 9, 6), 4),
      1e-4);
  const testing::ScratchDir scratch;
  model::save_model(pruned, scratch / "flap", {});
  EXPECT_EQ(testing::largest_logit_difference(pruned, model::load_model(scratch / "flap")), 0.0);
}

TEST(Flap, WandaSpPrunesEveryLayerAlikeAndAddsNoBias) {
  model::Model model = testing::load_stories260k();
  Flap wanda(flap_options(model.config, FlapVariant::kWandaSp));
  compress_model(model, wanda, 0.5);
  EXPECT_EQ(model.config.intermediate_sizes, std::vector<std::int64_t>(5, 86));
  EXPECT_EQ(model.config.kv_heads, std::vector<std::int64_t>(5, 2));
  EXPECT_FALSE(model.config.o_bias || model.config.mlp_bias);
  EXPECT_LT(testing::cached_decoding_error(model, testing::random_tokens(model.config, 2, 9, 6), 4),
            1e-4);
}

}  // namespace
}  // namespace claw::compress
