// Drawing without replacement: the log-probability is a normalised distribution over ordered
// draws, matches the draw frequencies, and has the gradient finite differences give.
#include <gtest/gtest.h>

#include <ATen/CPUGeneratorImpl.h>

#include <map>
#include <vector>

#include "compress/subset_sampling.h"

namespace claw::compress {
namespace {

const torch::Tensor kLogWeights = torch::tensor({0.1, 0.4, 0.2, 0.3}, torch::kDouble).log();

double log_probability(const torch::Tensor& log_w, std::vector<std::int64_t> order) {
  return draw_log_probability(log_w, torch::tensor(order, torch::kLong)).item<double>();
}

TEST(SubsetSampling, HandComputedProbability) {
  // Draw 1 (weight .4 of 1.0), then 3 (.3 of the .6 left), then 0 (.1 of the .3 left).
  EXPECT_NEAR(std::exp(log_probability(kLogWeights, {1, 3, 0})), 0.4 * (0.3 / 0.6) * (0.1 / 0.3),
              1e-15);
}

TEST(SubsetSampling, OrderedDrawsFormADistribution) {
  double total = 0;
  for (std::int64_t i = 0; i < 4; ++i) {
    for (std::int64_t j = 0; j < 4; ++j) {
      if (i != j) total += std::exp(log_probability(kLogWeights, {i, j}));
    }
  }
  EXPECT_NEAR(total, 1.0, 1e-12);
}

TEST(SubsetSampling, DrawFrequenciesMatchTheProbabilities) {
  at::Generator generator = at::detail::createCPUGenerator(5);
  constexpr int kDraws = 40000;
  std::map<std::pair<std::int64_t, std::int64_t>, int> counts;
  for (int n = 0; n < kDraws; ++n) {
    const torch::Tensor order = draw_without_replacement(kLogWeights, 2, generator);
    ++counts[{order[0].item<std::int64_t>(), order[1].item<std::int64_t>()}];
  }
  EXPECT_EQ(counts.size(), 12u);
  for (const auto& [draw, count] : counts) {
    const double p = std::exp(log_probability(kLogWeights, {draw.first, draw.second}));
    // Five binomial standard deviations.
    EXPECT_NEAR(count / double(kDraws), p, 5 * std::sqrt(p * (1 - p) / kDraws))
        << draw.first << "," << draw.second;
  }
}

TEST(SubsetSampling, GradientMatchesFiniteDifferences) {
  const torch::Tensor log_w = torch::tensor({-0.3, 0.8, -1.2, 0.1, 0.5}, torch::kDouble);
  const torch::Tensor order = torch::tensor({3, 1, 4}, torch::kLong);
  const torch::Tensor x = log_w.clone().requires_grad_();
  draw_log_probability(x, order).backward();
  constexpr double h = 1e-6;
  for (std::int64_t i = 0; i < log_w.size(0); ++i) {
    const torch::Tensor up = log_w.clone(), down = log_w.clone();
    up[i] += h;
    down[i] -= h;
    const double numeric = (draw_log_probability(up, order).item<double>() -
                            draw_log_probability(down, order).item<double>()) /
                           (2 * h);
    EXPECT_NEAR(x.grad()[i].item<double>(), numeric, 1e-8) << "weight " << i;
  }
}

TEST(SubsetSampling, AccurateWhenAlmostEveryItemIsDrawn) {
  // One heavy item and many light ones: after the heavy draw the mass left is tiny, and
  // total − drawn would lose it to cancellation.
  std::vector<double> weights(50, 1e-12);
  weights[0] = 1.0;
  const torch::Tensor log_w = torch::tensor(weights, torch::kDouble).log();
  std::vector<std::int64_t> order(49);
  for (std::int64_t i = 0; i < 49; ++i) order[static_cast<std::size_t>(i)] = i;
  // After drawing item 0, each later draw is uniform among the light items left.
  double expected = std::log(1.0 / (1.0 + 49e-12));
  for (int left = 49; left >= 2; --left) expected -= std::log(static_cast<double>(left));
  EXPECT_NEAR(log_probability(log_w, order), expected, 1e-9);
}

}  // namespace
}  // namespace claw::compress
