// ShortGPT against plain double-precision loops: Block Influence and the angular distance from
// the residual stream taken layer by layer; the layers it names, removed by hand, give its
// model's logits; the shortened model decodes through its KV cache as it scores whole sequences
// and survives a save and load.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "compress/shortgpt.h"
#include "model/decoder.h"
#include "model/load.h"
#include "model/save.h"
#include "support/model_checks.h"
#include "support/test_support.h"

namespace claw::compress {
namespace {

ShortGptOptions shortgpt_options(const model::ModelConfig& config, DepthScore score,
                                 bool last_token) {
  ShortGptOptions o;
  o.calibration = {testing::random_sequences(config, 5, 12, 21), "random tokens", 2};
  o.score = score;
  o.last_token_only = last_token;
  return o;
}

// The residual stream at every layer boundary, token by token, in double precision:
// streams[l][token] for l = 0 (the embeddings) .. layers.
using Stream = std::vector<std::vector<double>>;
std::vector<Stream> layer_streams(const model::Model& model, const ShortGptOptions& o,
                                  bool last_token_only) {
  torch::NoGradGuard no_grad;
  std::vector<Stream> streams(model.layers.size() + 1);
  for (const std::vector<std::int32_t>& sequence : o.calibration.sequences) {
    const torch::Tensor tokens =
        torch::tensor(std::vector<std::int64_t>(sequence.begin(), sequence.end())).unsqueeze(0);
    const model::SequenceContext context = model::sequence_context(model, tokens);
    torch::Tensor h = at::embedding(model.embed, tokens);
    for (std::size_t l = 0; l <= model.layers.size(); ++l) {
      const torch::Tensor rows = h[0].to(torch::kDouble).contiguous();
      for (std::int64_t t = last_token_only ? rows.size(0) - 1 : 0; t < rows.size(0); ++t) {
        const double* row = rows[t].data_ptr<double>();
        streams[l].emplace_back(row, row + rows.size(1));
      }
      if (l == model.layers.size()) break;
      h = h + model::attention_block(model, l, h, context);
      h = h + model::mlp_block(model, l, h);
    }
  }
  return streams;
}

double mean_cosine(const Stream& x, const Stream& y, bool angular) {
  double total = 0;
  for (std::size_t t = 0; t < x.size(); ++t) {
    double dot = 0, xx = 0, yy = 0;
    for (std::size_t i = 0; i < x[t].size(); ++i) {
      dot += x[t][i] * y[t][i];
      xx += x[t][i] * x[t][i];
      yy += y[t][i] * y[t][i];
    }
    const double cosine = std::min(1.0, std::max(-1.0, dot / std::sqrt(xx * yy)));
    total += angular ? std::acos(cosine) / M_PI : cosine;
  }
  return total / static_cast<double>(x.size());
}

TEST(ShortGpt, BlockInfluenceMatchesAPlainLoopAndRemovesTheLowest) {
  const model::Model original = testing::load_stories260k();
  const ShortGptOptions o = shortgpt_options(original.config, DepthScore::kBlockInfluence, false);
  const std::vector<Stream> streams = layer_streams(original, o, false);

  model::Model pruned = model::deep_copy(original);
  const Json details = ShortGpt(o).compress(pruned, 0.4);
  const std::vector<double> influence = details["block_influence"];
  ASSERT_EQ(influence.size(), 5u);
  for (std::size_t l = 0; l < influence.size(); ++l) {
    const double expected = 1 - mean_cosine(streams[l], streams[l + 1], false);
    EXPECT_NEAR(influence[l], expected, 1e-9 * std::abs(expected)) << "layer " << l;
  }
  const std::vector<std::int64_t> removed = details["removed_layers"];
  ASSERT_EQ(removed.size(), 2u);
  for (std::size_t l = 0; l < influence.size(); ++l) {
    const bool gone = std::find(removed.begin(), removed.end(), l) != removed.end();
    for (const std::int64_t r : removed) {
      if (!gone) EXPECT_LE(influence[static_cast<std::size_t>(r)], influence[l]);
    }
  }

  // The same layers removed by hand give the same logits, bit for bit.
  model::Model by_hand = model::deep_copy(original);
  for (auto r = removed.rbegin(); r != removed.rend(); ++r) {
    by_hand.layers.erase(by_hand.layers.begin() + *r);
    by_hand.config.intermediate_sizes.erase(by_hand.config.intermediate_sizes.begin() + *r);
    by_hand.config.kv_heads.erase(by_hand.config.kv_heads.begin() + *r);
  }
  by_hand.config.num_layers = 3;
  EXPECT_EQ(pruned.config.num_layers, 3);
  EXPECT_EQ(testing::largest_logit_difference(pruned, by_hand), 0.0);
}

TEST(ShortGpt, AngularDistanceMatchesAPlainLoopAndRemovesTheClosestBlock) {
  const model::Model original = testing::load_stories260k();
  for (const bool last_token : {true, false}) {
    const ShortGptOptions o =
        shortgpt_options(original.config, DepthScore::kAngularBlock, last_token);
    const std::vector<Stream> streams = layer_streams(original, o, last_token);
    model::Model pruned = model::deep_copy(original);
    const Json details = ShortGpt(o).compress(pruned, 0.4);  // n = 2 of 5 layers
    const std::vector<double> distance = details["angular_distance"];
    ASSERT_EQ(distance.size(), 4u);  // blocks starting at layers 0 .. 3
    std::size_t closest = 0;
    for (std::size_t l = 0; l < distance.size(); ++l) {
      const double expected = mean_cosine(streams[l], streams[l + 2], true);
      EXPECT_NEAR(distance[l], expected, 1e-9 * std::abs(expected)) << "block at " << l;
      if (distance[l] < distance[closest]) closest = l;
    }
    const std::vector<std::int64_t> removed = details["removed_layers"];
    EXPECT_EQ(removed, (std::vector<std::int64_t>{static_cast<std::int64_t>(closest),
                                                  static_cast<std::int64_t>(closest) + 1}));
  }
}

TEST(ShortGpt, AShortenedModelDecodesWithItsCacheAndSurvivesASave) {
  model::Model model = testing::load_stories260k();
  ShortGpt(shortgpt_options(model.config, DepthScore::kBlockInfluence, false)).compress(model, 0.6);
  EXPECT_EQ(model.config.num_layers, 2);
  EXPECT_LT(testing::cached_decoding_error(model, testing::random_tokens(model.config, 2, 9, 8), 4),
            1e-4);
  const testing::ScratchDir scratch;
  model::save_model(model, scratch / "short", {});
  const model::Model loaded = model::load_model(scratch / "short");
  EXPECT_EQ(loaded.config.num_layers, 2);
  EXPECT_EQ(testing::largest_logit_difference(model, loaded), 0.0);
}

TEST(ShortGpt, RemovesWholeLayersOnly) {
  EXPECT_EQ(removed_layer_count(24, 0.25), 6);
  EXPECT_EQ(removed_layer_count(5, 0.39), 1);
  EXPECT_EQ(removed_layer_count(5, 0.8), 4);
  EXPECT_EQ(removed_layer_count(5, 0.99), 4);  // one layer always stays
}

}  // namespace
}  // namespace claw::compress
