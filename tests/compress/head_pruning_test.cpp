// Head pruning against references: a group's output energy against a plain double loop; the
// pruned model against the whole model with the removed heads silenced; KV-cache decoding, and a
// save that transformers reads as a plain config.
#include <gtest/gtest.h>

#include <ATen/CPUGeneratorImpl.h>

#include "compress/compression.h"
#include "compress/head_pruning.h"
#include "compress/kv_groups.h"
#include "core/json.h"
#include "core/text_file.h"
#include "model/load.h"
#include "model/presets.h"
#include "model/save.h"
#include "support/model_checks.h"
#include "support/test_support.h"

namespace claw::compress {
namespace {

CalibrationSet head_calibration(const model::ModelConfig& config) {
  return {testing::random_sequences(config, 4, 10, 5), "random tokens", 2};
}

TEST(HeadPruning, GroupOutputEnergyMatchesAPlainLoop) {
  at::Generator generator = at::detail::createCPUGenerator(2);
  const torch::Tensor heads = at::randn({2, 3, 8}, generator, torch::kFloat);  // 2 groups of 4
  const torch::Tensor o = at::randn({5, 8}, generator, torch::kFloat);
  const torch::Tensor energy = group_output_energy(heads, o, 2);
  const torch::Tensor a = heads.to(torch::kDouble).reshape({6, 8}), w = o.to(torch::kDouble);
  for (std::int64_t g = 0; g < 2; ++g) {
    double expected = 0;
    for (std::int64_t t = 0; t < 6; ++t) {
      for (std::int64_t i = 0; i < 5; ++i) {
        double written = 0;
        for (std::int64_t j = 4 * g; j < 4 * g + 4; ++j) {
          written += w[i][j].item<double>() * a[t][j].item<double>();
        }
        expected += written * written;
      }
    }
    EXPECT_NEAR(energy[g].item<double>(), expected, 1e-12 * expected) << "group " << g;
  }
}

TEST(HeadPruning, EqualsTheWholeModelWithTheRemovedHeadsSilenced) {
  for (const char* preset : {"tiny-qwen2", "tiny-llama3"}) {
    const model::Model original =
        model::random_model(model::preset_config(preset), 7, torch::kFloat);
    model::Model pruned = model::deep_copy(original);
    HeadPruning method(head_calibration(original.config));
    const Json details = compress_model(pruned, method, 0.5)["details"];
    EXPECT_EQ(pruned.config.kv_heads, std::vector<std::int64_t>(2, 1)) << preset;
    EXPECT_EQ(pruned.config.layer_heads(0), 2) << preset;

    // Silence every query head of the removed groups: their columns of o_proj become zero.
    model::Model silenced = model::deep_copy(original);
    const std::int64_t width = original.config.group_size() * original.config.head_dim;
    for (std::size_t l = 0; l < silenced.layers.size(); ++l) {
      const std::int64_t kept = details["kept_groups"][l][0];
      const std::int64_t removed = 1 - kept;
      silenced.layers[l].o.weight.narrow(1, removed * width, width).zero_();
      // The kept group is the one writing more into the stream.
      const std::vector<double> energy = details["group_energy"][l];
      EXPECT_GE(energy[static_cast<std::size_t>(kept)], energy[static_cast<std::size_t>(removed)]);
    }
    EXPECT_LT(testing::largest_logit_difference(pruned, silenced), 1e-5) << preset;
    EXPECT_LT(
        testing::cached_decoding_error(pruned, testing::random_tokens(pruned.config, 2, 9, 4), 3),
        1e-4)
        << preset;

    const testing::ScratchDir scratch;
    model::save_model(pruned, scratch / "pruned", {});
    const Json config = parse_json(read_text_file(scratch / "pruned" / "config.json"), "config");
    EXPECT_EQ(config["num_key_value_heads"], 1);
    EXPECT_EQ(config["num_attention_heads"], 2);
    EXPECT_EQ(config["head_dim"], original.config.head_dim);
    EXPECT_FALSE(config.contains("claw")) << "a uniform head count is plain HF";
    EXPECT_EQ(testing::largest_logit_difference(pruned, model::load_model(scratch / "pruned")),
              0.0);
  }
}

TEST(HeadPruning, KeepsWholeGroupsOnly) {
  EXPECT_EQ(kept_group_count(2, 0.5, 0), 1);
  EXPECT_EQ(kept_group_count(4, 0.3, 0), 2);  // floor(2.8)
  EXPECT_EQ(kept_group_count(4, 0.0, 0), 4);
  EXPECT_THROW(kept_group_count(2, 0.6, 0), Error);
}

}  // namespace
}  // namespace claw::compress
