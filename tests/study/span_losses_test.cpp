// Paired differences of two models' losses over the same spans: against a plain double loop, the
// one-model standard error it generalises, and what it refuses.
#include <gtest/gtest.h>

#include <cmath>

#include "eval/intrinsic.h"
#include "study/span_losses.h"

namespace claw::study {
namespace {

SpanLosses losses(std::vector<double> nll, std::vector<std::int64_t> targets) {
  return {std::move(nll), std::move(targets)};
}

TEST(SpanLosses, PairedDifferenceIsTheRatioEstimatorOverSpansOfTheSummedDifferences) {
  const SpanLosses a1 = losses({10, 22, 7.5, 31}, {5, 10, 3, 12});
  const SpanLosses b1 = losses({11, 21, 8.25, 33}, {5, 10, 3, 12});
  const SpanLosses a2 = losses({9, 24, 7, 30}, {5, 10, 3, 12});
  const SpanLosses b2 = losses({10.5, 23, 8, 34}, {5, 10, 3, 12});
  const std::optional<PairedDifference> d = paired_difference({{&a1, &b1}, {&a2, &b2}});
  ASSERT_TRUE(d);
  // By hand: each span's differences summed over the pairs, its targets likewise.
  const double s[] = {1 + 1.5, -1 - 1, 0.75 + 1, 2 + 4}, t[] = {10, 20, 6, 24};
  double sum_s = 0, sum_t = 0;
  for (int i = 0; i < 4; ++i) sum_s += s[i], sum_t += t[i];
  const double mean = sum_s / sum_t;
  double squared = 0;
  for (int i = 0; i < 4; ++i) squared += (s[i] - mean * t[i]) * (s[i] - mean * t[i]);
  EXPECT_NEAR(d->value, mean, 1e-15);
  EXPECT_NEAR(d->standard_error, std::sqrt(4.0 / 3.0 * squared) / sum_t, 1e-15);
  EXPECT_EQ(d->spans, 4);
  // The difference equals the difference of the two token-weighted means.
  const auto mean_of = [](const SpanLosses& x) {
    double n = 0, k = 0;
    for (std::size_t i = 0; i < x.nll.size(); ++i) n += x.nll[i], k += x.targets[i];
    return n / k;
  };
  EXPECT_NEAR(d->value, (mean_of(b1) - mean_of(a1) + mean_of(b2) - mean_of(a2)) / 2, 1e-15);
}

TEST(SpanLosses, AgainstAModelOfZeroLossItIsThatModelsOwnStandardError) {
  eval::LossTotal total;
  SpanLosses zero, model;
  for (int i = 0; i < 6; ++i) {
    const eval::SpanLoss span{1.5 * i + std::sin(i), 3 + i};
    total.spans.push_back(span);
    total.nll += span.nll;
    total.targets += span.targets;
    model.nll.push_back(span.nll);
    model.targets.push_back(span.targets);
    zero.nll.push_back(0);
    zero.targets.push_back(span.targets);
  }
  const std::optional<PairedDifference> d = paired_difference({{&zero, &model}});
  ASSERT_TRUE(d);
  EXPECT_NEAR(d->value, total.mean(), 1e-15);
  EXPECT_NEAR(d->standard_error, total.standard_error(), 1e-15);
}

TEST(SpanLosses, SpansOfAnotherTextOrTooFewAreNotPaired) {
  const SpanLosses a = losses({1, 2}, {3, 4});
  const SpanLosses other_targets = losses({1, 2}, {3, 5});
  const SpanLosses other_count = losses({1, 2, 3}, {3, 4, 5});
  const SpanLosses one = losses({1}, {3});
  EXPECT_FALSE(paired_difference({{&a, &other_targets}}));
  EXPECT_FALSE(paired_difference({{&a, &other_count}}));
  EXPECT_FALSE(paired_difference({{&one, &one}}));
  EXPECT_FALSE(paired_difference({}));
  EXPECT_TRUE(paired_difference({{&a, &a}}));
}

TEST(SpanLosses, ARecordKeepsThemUnderTheMetricsName) {
  ExperimentResult e;
  const MetricName loss = MetricName::of(MetricKind::kLoss, "tinystories:test");
  EXPECT_FALSE(recorded_span_losses(e, loss));
  record_span_losses(e.record, loss, losses({1.5, 2.5}, {3, 4}));
  const std::optional<SpanLosses> read = recorded_span_losses(e, loss);
  ASSERT_TRUE(read);
  EXPECT_EQ(read->nll, (std::vector<double>{1.5, 2.5}));
  EXPECT_EQ(read->targets, (std::vector<std::int64_t>{3, 4}));
  EXPECT_FALSE(recorded_span_losses(e, MetricName::of(MetricKind::kLoss, "wikitext2")));
}

}  // namespace
}  // namespace claw::study
