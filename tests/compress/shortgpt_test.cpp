// ShortGPT against plain double-precision loops: Block Influence and the angular distance from
// the residual stream taken layer by layer; the layers it names, removed by hand, give its
// model's logits; the shortened model decodes through its KV cache as it scores whole sequences
// and survives a save and load.
#include <ATen/CPUGeneratorImpl.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "compress/compression.h"
#include "compress/method_registry.h"
#include "compress/shortgpt.h"
#include "model/decoder.h"
#include "model/load.h"
#include "model/save.h"
#include "recover/lora.h"
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
// streams[l][token] for l = 0 (the embeddings) .. layers; `middle`, when given, gets the stream
// between each layer's attention and its MLP.
using Stream = std::vector<std::vector<double>>;

// The pass runs the calibration sequences in batches, the loop below one at a time, and the
// streams are float32: where BLAS blocks a product by its batch shape (OpenBLAS's AVX-512
// kernels), they differ by a few float32 roundings, 2e-7 relative at most on this model.
constexpr double kStreamTolerance = 2e-6;
std::vector<Stream> layer_streams(const model::Model& model, const ShortGptOptions& o,
                                  bool last_token_only, std::vector<Stream>* middle = nullptr) {
  torch::NoGradGuard no_grad;
  std::vector<Stream> streams(model.layers.size() + 1);
  if (middle) middle->assign(model.layers.size(), {});
  const auto append = [&](Stream& stream, const torch::Tensor& h) {
    const torch::Tensor rows = h[0].to(torch::kDouble).contiguous();
    for (std::int64_t t = last_token_only ? rows.size(0) - 1 : 0; t < rows.size(0); ++t) {
      const double* row = rows[t].data_ptr<double>();
      stream.emplace_back(row, row + rows.size(1));
    }
  };
  for (const std::vector<std::int32_t>& sequence : o.calibration.sequences) {
    const torch::Tensor tokens =
        torch::tensor(std::vector<std::int64_t>(sequence.begin(), sequence.end())).unsqueeze(0);
    const model::SequenceContext context = model::sequence_context(model, tokens);
    torch::Tensor h = at::embedding(model.embed, tokens);
    for (std::size_t l = 0; l <= model.layers.size(); ++l) {
      append(streams[l], h);
      if (l == model.layers.size()) break;
      h = h + model::attention_block(model, l, h, context);
      if (middle) append((*middle)[l], h);
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
  ShortGpt method(o);
  const Json details = compress_model(pruned, method, 0.4)["details"];
  const std::vector<double> influence = details["block_influence"];
  ASSERT_EQ(influence.size(), 5u);
  for (std::size_t l = 0; l < influence.size(); ++l) {
    const double expected = 1 - mean_cosine(streams[l], streams[l + 1], false);
    EXPECT_NEAR(influence[l], expected, kStreamTolerance * std::abs(expected)) << "layer " << l;
  }
  const std::vector<std::int64_t> removed = details["removed_layers"];
  ASSERT_EQ(removed.size(), 2u);
  for (std::size_t l = 0; l < influence.size(); ++l) {
    const bool gone = std::find(removed.begin(), removed.end(), l) != removed.end();
    for (const std::int64_t r : removed) {
      if (!gone) {
        EXPECT_LE(influence[static_cast<std::size_t>(r)], influence[l]);
      }
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
    ShortGpt method(o);
    const Json details = compress_model(pruned, method, 0.4)["details"];  // n = 2 of 5 layers
    const std::vector<double> distance = details["angular_distance"];
    ASSERT_EQ(distance.size(), 4u);  // blocks starting at layers 0 .. 3
    std::size_t closest = 0;
    for (std::size_t l = 0; l < distance.size(); ++l) {
      const double expected = mean_cosine(streams[l], streams[l + 2], true);
      EXPECT_NEAR(distance[l], expected, kStreamTolerance * std::abs(expected)) << "block at " << l;
      if (distance[l] < distance[closest]) closest = l;
    }
    const std::vector<std::int64_t> removed = details["removed_layers"];
    EXPECT_EQ(removed, (std::vector<std::int64_t>{static_cast<std::int64_t>(closest),
                                                  static_cast<std::int64_t>(closest) + 1}));
  }
}

TEST(ShortGpt, AShortenedModelDecodesWithItsCacheAndSurvivesASave) {
  model::Model model = testing::load_stories260k();
  ShortGpt method(shortgpt_options(model.config, DepthScore::kBlockInfluence, false));
  compress_model(model, method, 0.6);
  EXPECT_EQ(model.config.num_layers, 2);
  EXPECT_LT(testing::cached_decoding_error(model, testing::random_tokens(model.config, 2, 9, 8), 4),
            1e-4);
  const testing::ScratchDir scratch;
  model::save_model(model, scratch / "short", {});
  const model::Model loaded = model::load_model(scratch / "short");
  EXPECT_EQ(loaded.config.num_layers, 2);
  EXPECT_EQ(testing::largest_logit_difference(model, loaded), 0.0);
}

// Sublayer pruning: each attention (MLP) sublayer's influence compares the stream before and
// after it; the lowest go, and the model without them decodes through its cache, survives a
// save, takes LoRA on what is left, and is refused by methods that need every sublayer.
TEST(ShortGpt, SublayerInfluenceMatchesAPlainLoopAndTheRemainderRuns) {
  const model::Model original = testing::load_stories260k();
  for (const DepthUnit unit : {DepthUnit::kAttention, DepthUnit::kMlp}) {
    ShortGptOptions o = shortgpt_options(original.config, DepthScore::kBlockInfluence, false);
    o.unit = unit;
    std::vector<Stream> middle;
    const std::vector<Stream> streams = layer_streams(original, o, false, &middle);
    model::Model pruned = model::deep_copy(original);
    ShortGpt method(o);
    const Json details =
        compress_model(pruned, method, 0.5)["details"];  // floor(0.5 · 5) = 2 sublayers
    const bool attention = unit == DepthUnit::kAttention;
    const std::vector<double> influence =
        details[attention ? "attention_influence" : "mlp_influence"];
    ASSERT_EQ(influence.size(), 5u);
    for (std::size_t l = 0; l < influence.size(); ++l) {
      const double expected = attention ? 1 - mean_cosine(streams[l], middle[l], false)
                                        : 1 - mean_cosine(middle[l], streams[l + 1], false);
      EXPECT_NEAR(influence[l], expected, kStreamTolerance * std::abs(expected)) << "layer " << l;
    }
    const std::vector<std::int64_t> removed =
        details[attention ? "removed_attention" : "removed_mlp"];
    ASSERT_EQ(removed.size(), 2u);
    std::vector<double> sorted = influence;
    std::sort(sorted.begin(), sorted.end());
    for (const std::int64_t r : removed) {
      EXPECT_LE(influence[static_cast<std::size_t>(r)], sorted[1]);
      EXPECT_FALSE(attention ? pruned.config.has_attention(r) : pruned.config.has_mlp(r));
    }
    EXPECT_EQ(pruned.config.num_layers, 5);
    EXPECT_LT(
        testing::cached_decoding_error(pruned, testing::random_tokens(pruned.config, 2, 9, 8), 4),
        1e-4);
    const testing::ScratchDir scratch;
    model::save_model(pruned, scratch / "sub", {});
    const model::Model loaded = model::load_model(scratch / "sub");
    EXPECT_EQ(loaded.config.kv_heads, pruned.config.kv_heads);
    EXPECT_EQ(loaded.config.intermediate_sizes, pruned.config.intermediate_sizes);
    EXPECT_EQ(testing::largest_logit_difference(pruned, loaded), 0.0);

    // LoRA goes on the 3 sublayers of each kind left: A and B for each of their projections.
    model::Model adapted = model::deep_copy(pruned);
    at::Generator generator = at::detail::createCPUGenerator(1);
    const std::size_t attention_projections = attention ? 3 * 4 : 5 * 4;
    const std::size_t mlp_projections = attention ? 5 * 3 : 3 * 3;
    EXPECT_EQ(recover::attach_lora(adapted, {}, generator).size(),
              2 * (attention_projections + mlp_projections));
    const std::unique_ptr<CompressionMethod> random =
        make_method("random", Json::object(), {}, pruned.config);
    testing::expect_error_containing([&] { compress_model(pruned, *random, 0.5); },
                                     "random cannot compress a model whose layers lack");
  }
}

TEST(ShortGpt, RemovesWholeLayersOnly) {
  EXPECT_EQ(removed_layer_count(24, 0.25), 6);
  EXPECT_EQ(removed_layer_count(5, 0.39), 1);
  EXPECT_EQ(removed_layer_count(5, 0.8), 4);
  EXPECT_EQ(removed_layer_count(5, 0.99), 4);  // one layer always stays
}

}  // namespace
}  // namespace claw::compress
