// PruneNet: the policy's scores are the reference network's, a saved policy is the same policy,
// and REINFORCE learns a selection better than chance where one exists.
#include <gtest/gtest.h>

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/ops/linalg_svdvals.h>

#include "compress/compression.h"
#include "compress/ks_statistic.h"
#include "compress/prunenet_policy.h"
#include "compress/spectral_reward.h"
#include "core/error.h"
#include "model/presets.h"
#include "support/test_support.h"

namespace claw::compress {
namespace {

TEST(SpectralReward, SingularValuesMatchAnSvd) {
  at::Generator generator = at::detail::createCPUGenerator(2);
  const torch::Tensor tall = at::normal(0, 1, {40, 12}, generator, torch::kDouble);
  // Rank 3: its nine zero singular values must come out as (near) zero, not NaN.
  const torch::Tensor low_rank = at::normal(0, 1, {12, 3}, generator, torch::kDouble)
                                     .mm(at::normal(0, 1, {3, 20}, generator, torch::kDouble));
  for (const torch::Tensor& m : {tall, tall.t(), low_rank}) {
    const torch::Tensor expected = at::linalg_svdvals(m);
    const std::vector<double> actual = singular_values(m.to(torch::kFloat));
    ASSERT_EQ(static_cast<std::int64_t>(actual.size()), expected.numel());
    const double largest = expected[0].item<double>();
    for (std::size_t i = 0; i < actual.size(); ++i) {
      // The input was rounded to float32; allow for that, relative to the largest value.
      EXPECT_NEAR(actual[i], expected[static_cast<std::int64_t>(i)].item<double>(), 1e-5 * largest)
          << i;
    }
  }
}

TEST(SpectralReward, IsTheReciprocalOfTheKsStatistic) {
  at::Generator generator = at::detail::createCPUGenerator(5);
  const torch::Tensor ffn1 = at::normal(0, 1, {16, 6}, generator, torch::kFloat);
  const std::vector<double> spectrum = singular_values(ffn1);
  // Keeping every row keeps the spectrum: the capped perfect reward.
  EXPECT_EQ(spectral_reward(spectrum, ffn1, at::arange(16, torch::kLong)), kPerfectSpectrumReward);
  // Keeping 3 rows leaves 3 singular values, each no larger than its original counterpart.
  const torch::Tensor kept = torch::tensor({1, 4, 9}, torch::kLong);
  const double ks = ks_statistic(spectrum, singular_values(ffn1.index_select(0, kept)));
  EXPECT_GT(ks, 0);
  EXPECT_DOUBLE_EQ(spectral_reward(spectrum, ffn1, kept), 1 / ks);
}

TEST(PruneNetPolicy, ScoresAsTheReferenceNetworkDoes) {
  const PruneNetPolicy policy(16, 24, 3);
  at::Generator generator = at::detail::createCPUGenerator(8);
  const torch::Tensor ffn1 = at::normal(0, 1, {24, 16}, generator, torch::kFloat);
  const std::vector<torch::Tensor> p = policy.parameters();  // W_p, b_p, s
  // W' = W·W_pᵀ + 1·b_pᵀ, [d_ff, d_ff]; then W'·s. In float64 as the reference value.
  const torch::Tensor w = ffn1.to(torch::kDouble);
  const torch::Tensor row_interactions =
      w.mm(p[0].detach().to(torch::kDouble).t()) + p[1].detach().to(torch::kDouble).unsqueeze(0);
  const torch::Tensor expected = row_interactions.mv(p[2].detach().to(torch::kDouble));
  const torch::Tensor actual = policy.importance_logits(ffn1).detach().to(torch::kDouble);
  EXPECT_LT((actual - expected).abs().max().item<double>(), 1e-4);
}

TEST(PruneNetPolicy, SavedPolicyLoadsAsTheSamePolicyAndChecksShapes) {
  const testing::ScratchDir scratch;
  const PruneNetPolicy policy(8, 12, 1);
  policy.save(scratch / "policy.safetensors", {{"note", "test"}});
  const PruneNetPolicy loaded = PruneNetPolicy::load(scratch / "policy.safetensors");
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_TRUE(loaded.parameters()[i].equal(policy.parameters()[i]));
  }
  EXPECT_NO_THROW(loaded.check_shape(8, 12, "p"));
  try {
    loaded.check_shape(8, 16, "p");
    FAIL() << "a policy for other shapes was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("12 channels × hidden 8"), std::string::npos) << e.what();
  }
  testing::write_bytes(scratch / "junk.safetensors", "not a safetensors file");
  EXPECT_THROW(PruneNetPolicy::load(scratch / "junk.safetensors"), Error);
}

// A layer whose FFN1 has a clear best half: rows along one direction with large weights, rows
// of small noise. Keeping the large rows keeps the spectrum; a linear score along that direction
// finds them, so a working policy gradient must beat random selection here. (The untrained
// policy happens to prefer the small rows and earns about half of random's reward: the test
// also shows REINFORCE turning a policy around.)
model::Model model_with_a_learnable_choice() {
  model::ModelConfig config = model::preset_config("tiny-qwen2");
  model::Model model = model::random_model(config, 1, torch::kFloat);
  at::Generator generator = at::detail::createCPUGenerator(4);
  for (model::DecoderLayer& layer : model.layers) {
    torch::Tensor& gate = layer.gate.weight;
    const std::int64_t width = gate.size(0), hidden = gate.size(1);
    torch::Tensor rows = at::normal(0, 0.05, {width, hidden}, generator, torch::kFloat);
    const torch::Tensor big = at::randperm(width, generator, torch::kLong).narrow(0, 0, width / 2);
    rows.index_add_(0, big, at::normal(1.0, 0.3, {width / 2, hidden}, generator, torch::kFloat));
    gate = rows;
  }
  return model;
}

TEST(PruneNet, TrainedPolicyBeatsRandomSelectionWhereItCan) {
  model::Model model = model_with_a_learnable_choice();
  const Json record = compress_model(
      model, *make_method("prunenet", {{"episodes", 30}}, {.seed = 2}, model.config), 0.5);
  const Json& reward = record["details"]["reward"];
  EXPECT_GT(reward["selected_mean"].get<double>(), 1.5 * reward["random_mean"].get<double>())
      << record.dump(1);
  EXPECT_EQ(record["details"]["reward_curve"].size(), 30u);
  EXPECT_GE(record["details"]["best_episode"].get<int>(), 1);
}

TEST(PruneNet, SameSeedSameSelectionAndAPolicyReusedAtAnotherRatio) {
  const testing::ScratchDir scratch;
  const auto pruned = [&](double ratio, const std::string& policy_in,
                          const std::string& policy_out) {
    model::Model model = model::random_model(model::preset_config("tiny-qwen2"), 6, torch::kFloat);
    const Json options = {{"episodes", 4}, {"policy_in", policy_in}, {"policy_out", policy_out}};
    compress_model(model, *make_method("prunenet", options, {.seed = 3}, model.config), ratio);
    return model.layers[0].gate.weight;
  };
  const std::string policy = (scratch / "policy.safetensors").string();
  const torch::Tensor first = pruned(0.5, "", policy);
  EXPECT_TRUE(pruned(0.5, "", "").equal(first));
  // The saved policy makes the same greedy choice, and at a higher ratio a subset of it.
  EXPECT_TRUE(pruned(0.5, policy, "").equal(first));
  const torch::Tensor smaller = pruned(0.75, policy, "");
  EXPECT_TRUE((smaller.unsqueeze(1) == first.unsqueeze(0)).all(2).any(1).all().item<bool>());
}

}  // namespace
}  // namespace claw::compress
