// The two-sample KS statistic against hand-computed values and against the textbook definition
// evaluated point by point.
#include <gtest/gtest.h>

#include <random>

#include "compress/ks_statistic.h"
#include "core/error.h"

namespace claw::compress {
namespace {

// sup_x |F_a(x) − F_b(x)| straight from the definition: both CDFs counted at every sample.
double textbook(const std::vector<double>& a, const std::vector<double>& b) {
  const auto cdf = [](const std::vector<double>& s, double x) {
    double n = 0;
    for (double v : s) n += v <= x ? 1 : 0;
    return n / static_cast<double>(s.size());
  };
  double gap = 0;
  for (const auto* sample : {&a, &b}) {
    for (double x : *sample) gap = std::max(gap, std::abs(cdf(a, x) - cdf(b, x)));
  }
  return gap;
}

TEST(KsStatistic, HandComputedCases) {
  EXPECT_DOUBLE_EQ(ks_statistic({1, 2, 3}, {3, 1, 2}), 0.0);
  EXPECT_DOUBLE_EQ(ks_statistic({1, 2, 3}, {4, 5}), 1.0);
  // At x = 2: F_a = 2/4, F_b = 0; at x = 2.5: 2/4 against 1.
  EXPECT_DOUBLE_EQ(ks_statistic({1, 2, 3, 4}, {2.5}), 0.5);
  // Interleaved: after 1, 2 the gap is 2/3 − 0; after 3 it is 2/3 − 1/2.
  EXPECT_DOUBLE_EQ(ks_statistic({1, 2, 5}, {3, 4}), 2.0 / 3.0);
  // Symmetric in its arguments.
  EXPECT_DOUBLE_EQ(ks_statistic({3, 4}, {1, 2, 5}), 2.0 / 3.0);
}

TEST(KsStatistic, TiesMoveBothCdfsInOneStep) {
  // At x = 1: F_a = 2/3, F_b = 1/3; at x = 2 both reach 1. Stepping through the tied 1s one
  // sample at a time would report the transient 2/3 − 0.
  EXPECT_DOUBLE_EQ(ks_statistic({1, 1, 2}, {1, 2, 2}), 1.0 / 3.0);
  // A sample of one repeated value against a spread one.
  EXPECT_DOUBLE_EQ(ks_statistic({0, 0, 0}, {0, 1}), 0.5);
  // Identical multisets are at distance zero however the ties fall.
  EXPECT_DOUBLE_EQ(ks_statistic({2, 2, 1, 1}, {1, 2, 1, 2}), 0.0);
}

TEST(KsStatistic, MatchesTheDefinitionOnSamplesWithManyTies) {
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> value(0, 6), size(1, 12);
  for (int trial = 0; trial < 500; ++trial) {
    std::vector<double> a(size(rng)), b(size(rng));
    for (double& x : a) x = value(rng);
    for (double& x : b) x = value(rng) * 0.5;
    ASSERT_DOUBLE_EQ(ks_statistic(a, b), textbook(a, b)) << "trial " << trial;
  }
}

TEST(KsStatistic, RefusesEmptyOrNonFiniteSamples) {
  EXPECT_THROW(ks_statistic({}, {1}), Error);
  EXPECT_THROW(ks_statistic({1, std::nan("")}, {1}), Error);
}

}  // namespace
}  // namespace claw::compress
