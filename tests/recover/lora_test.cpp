// LoRA against references: finite differences confirm its gradients, and merging it gives the
// logits of base + adapter.
#include "recover/lora.h"

#include <gtest/gtest.h>

#include <ATen/CPUGeneratorImpl.h>

#include <cmath>

#include "core/error.h"
#include "model/decoder.h"
#include "recover/recovery_fixtures.h"
#include "recover/trainer.h"

namespace claw::recover {
namespace {

using fixtures::attach_random_lora;
using fixtures::random_sequences;
using fixtures::tiny_config;

TEST(Lora, GradientsMatchFiniteDifferences) {
  model::Model model = model::random_model(tiny_config(), 3, torch::kDouble);
  LoraOptions options;
  options.rank = 2;
  options.dropout = 0;
  const std::vector<torch::Tensor> trainable = attach_random_lora(model, options);
  const std::vector<TrainingSequence> data = random_sequences(3, 7, 1);
  const auto loss = [&] { return scored_nll(model, data, 0, data.size()).first; };
  loss().backward();

  at::Generator generator = at::detail::createCPUGenerator(2);
  constexpr double h = 1e-6;
  int checked = 0;
  for (const torch::Tensor& p : trainable) {
    torch::NoGradGuard no_grad;
    // A few entries of each adapter matrix.
    for (int k = 0; k < 3; ++k) {
      const std::int64_t index =
          at::randint(p.numel(), {1}, generator, torch::kLong).item<std::int64_t>();
      torch::Tensor flat = p.view({-1});
      const double original = flat[index].item<double>();
      flat[index] = original + h;
      const double up = loss().item<double>();
      flat[index] = original - h;
      const double down = loss().item<double>();
      flat[index] = original;
      const double numeric = (up - down) / (2 * h);
      const double analytic = p.grad().view({-1})[index].item<double>();
      EXPECT_NEAR(analytic, numeric, 1e-3 * std::max(std::abs(numeric), 1e-3)) << k;
      ++checked;
    }
  }
  EXPECT_EQ(checked, 2 * 2 * 7 * 3);  // 2 layers × 7 projections × (A, B) × 3 entries
}

TEST(Lora, MergedModelGivesTheLogitsOfBasePlusAdapter) {
  model::Model model = model::random_model(tiny_config(), 3, torch::kFloat);
  LoraOptions options;
  options.targets = {"q", "v", "down"};
  attach_random_lora(model, options);
  const torch::Tensor tokens = torch::randint(64, {2, 9}, torch::kLong);
  torch::NoGradGuard no_grad;
  const torch::Tensor with_adapters = model::forward(model, tokens);
  model::Model merged = model;
  merge_lora(merged);
  EXPECT_FALSE(merged.layers[0].q.lora);
  EXPECT_TRUE(model.layers[0].q.lora) << "merging a copy leaves the original's adapters";
  EXPECT_LT((model::forward(merged, tokens) - with_adapters).abs().max().item<double>(), 1e-5);
  // And the adapters did change the model.
  model::Model base = model::random_model(tiny_config(), 3, torch::kFloat);
  EXPECT_GT((model::forward(base, tokens) - with_adapters).abs().max().item<double>(), 1e-4);
}

TEST(Lora, FreshAdaptersLeaveTheModelUnchanged) {
  model::Model model = model::random_model(tiny_config(), 3, torch::kFloat);
  const torch::Tensor tokens = torch::randint(64, {1, 5}, torch::kLong);
  torch::NoGradGuard no_grad;
  const torch::Tensor before = model::forward(model, tokens);
  at::Generator generator = at::detail::createCPUGenerator(1);
  const auto trainable = attach_lora(model, {}, generator);
  EXPECT_TRUE(model::forward(model, tokens).equal(before));  // B starts at zero
  // A is uniform in ±1/√in.
  EXPECT_LE(trainable[0].abs().max().item<double>(), 1 / std::sqrt(32.0));
}

TEST(Lora, RefusesBadOptions) {
  LoraOptions options;
  options.targets = {"q", "lm_head"};
  EXPECT_THROW(check_lora_options(options), Error);
  options = {};
  options.rank = 0;
  EXPECT_THROW(check_lora_options(options), Error);
}

}  // namespace
}  // namespace claw::recover
