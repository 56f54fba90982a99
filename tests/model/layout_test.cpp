// Parameter counts against the published model sizes (eval-semantics.md, "Model facts").
#include <gtest/gtest.h>

#include "model/layout.h"
#include "model/presets.h"

namespace claw::model {
namespace {

using Shape = std::vector<std::int64_t>;

TEST(Layout, Qwen25HalfBillionCountsExactly) {
  const ParameterCounts n = count_parameters(preset_config("qwen2.5-0.5b"));
  EXPECT_EQ(n.total(), 494'032'768);
  EXPECT_EQ(n.embedding, 151'936LL * 896);
  EXPECT_EQ(n.head, 0);  // tied
  EXPECT_EQ(n.mlp, 24LL * 3 * 896 * 4864);
  // q, k, v with biases and o without: 24 × (896·896 + 896 + 2·(128·896 + 128) + 896·896).
  EXPECT_EQ(n.attention, 24LL * (896 * 896 + 896 + 2 * (128 * 896 + 128) + 896 * 896));
  EXPECT_EQ(n.norm, 24LL * 2 * 896 + 896);
}

TEST(Layout, OtherPresetsMatchPublishedSizes) {
  // Published totals in millions, rounded to 0.1M.
  EXPECT_NEAR(count_parameters(preset_config("llama-3.2-1b")).total() / 1e6, 1235.8, 0.05);
  EXPECT_NEAR(count_parameters(preset_config("qwen2.5-1.5b")).total() / 1e6, 1543.7, 0.05);
  EXPECT_NEAR(count_parameters(preset_config("llama-3.1-8b")).total() / 1e9, 8.03, 0.005);
  EXPECT_NEAR(count_parameters(preset_config("qwen2.5-7b")).total() / 1e9, 7.62, 0.005);
  EXPECT_NEAR(count_parameters(preset_config("qwen2.5-14b")).total() / 1e9, 14.77, 0.005);
}

TEST(Layout, TiedModelsHaveNoHeadTensor) {
  ModelConfig c = preset_config("tiny-qwen2");
  c.tie_word_embeddings = true;
  for (const TensorSpec& spec : tensor_layout(c)) EXPECT_NE(spec.name, "lm_head.weight");
  c.tie_word_embeddings = false;
  EXPECT_EQ(tensor_layout(c).back().name, "lm_head.weight");
}

TEST(Layout, PerLayerWidthsShapeTheMlp) {
  ModelConfig c = preset_config("tiny-llama3");
  c.intermediate_sizes = {10, 20};
  for (const TensorSpec& spec : tensor_layout(c)) {
    if (spec.role == TensorRole::kDownWeight) {
      EXPECT_EQ(spec.shape[1], spec.layer == 0 ? 10 : 20) << spec.name;
    }
  }
}

TEST(Layout, PerLayerHeadsShapeTheAttention) {
  ModelConfig c = preset_config("tiny-llama3");  // 4 heads over 2 KV heads of 8, hidden 32
  c.kv_heads = {1, 2};
  c.o_bias = true;
  for (const TensorSpec& spec : tensor_layout(c)) {
    const std::int64_t kv = spec.layer == 0 ? 1 : 2;
    if (spec.role == TensorRole::kQWeight) {
      EXPECT_EQ(spec.shape, (Shape{2 * kv * 8, 32}));
    }
    if (spec.role == TensorRole::kKWeight) {
      EXPECT_EQ(spec.shape, (Shape{kv * 8, 32}));
    }
    if (spec.role == TensorRole::kVWeight) {
      EXPECT_EQ(spec.shape, (Shape{kv * 8, 32}));
    }
    if (spec.role == TensorRole::kOWeight) {
      EXPECT_EQ(spec.shape, (Shape{32, 2 * kv * 8}));
    }
    if (spec.role == TensorRole::kOBias) {
      EXPECT_EQ(spec.shape, (Shape{32}));
    }
    EXPECT_NE(spec.role, TensorRole::kQBias);
  }
  // q and o: 16·32 each in layer 0 and 32·32 in layer 1; k and v: 8·32, then 16·32; o's bias.
  EXPECT_EQ(count_parameters(c).attention,
            2 * (16 * 32 + 32 * 32) + 2 * (8 * 32 + 16 * 32) + 2 * 32);
}

}  // namespace
}  // namespace claw::model
