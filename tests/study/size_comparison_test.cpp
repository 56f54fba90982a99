// Methods compared at equal size: measurements placed by the fraction of parameters removed,
// interpolated between measured sizes (never beyond), and the best method with its ties, against
// values worked out by hand.
#include <gtest/gtest.h>

#include "study/size_comparison.h"
#include "support/metric_names.h"

namespace claw::study {
namespace {

using claw::testing::operator""_metric;

ExperimentResult compressed(const std::string& method, double ratio, double fraction, double loss,
                            double error) {
  ExperimentResult r;
  r.kind = "compressed";
  r.model = "m";
  r.method = method;
  r.ratio = ratio;
  r.metrics = {{kFractionRemovedWithoutEmbeddings, fraction, std::nullopt, "F"},
               {"loss/tiny"_metric, loss, error, "L"}};
  return r;
}

// "wide" removes 25% and 50% of the parameters at r = 0.2 and 0.4, with loss 2 and 4; "narrow"
// removes 5% and 35%, with loss 1 and 4.
StudyResults two_methods(double narrow_error) {
  return StudyResults({compressed("wide", 0.2, 0.25, 2.0, 0.1),
                       compressed("wide", 0.4, 0.50, 4.0, 0.3),
                       compressed("narrow", 0.2, 0.05, 1.0, narrow_error),
                       compressed("narrow", 0.4, 0.35, 4.0, narrow_error)});
}

TEST(SizeComparison, InterpolatesBetweenMeasuredSizesOnly) {
  const StudyResults results = two_methods(0.1);
  const std::vector<SizePoint> wide = points_by_size(results, "wide", 0, "loss/tiny"_metric);
  ASSERT_EQ(wide.size(), 2u);
  const std::optional<MeasuredValue> at_40 = at_size(wide, 0.40);
  ASSERT_TRUE(at_40);
  EXPECT_DOUBLE_EQ(at_40->value, 2.0 + 0.6 * 2.0);  // 15 of the 25 points from 25%
  EXPECT_DOUBLE_EQ(*at_40->standard_error, 0.1 + 0.6 * 0.2);
  EXPECT_FALSE(at_size(wide, 0.20));  // below the smallest size measured
  EXPECT_FALSE(at_size(wide, 0.55));  // beyond the largest
}

TEST(SizeComparison, NamesTheBestMethodAndItsTies) {
  // At 30%: wide 2 + 0.2·2 = 2.4, narrow 1 + (25/30)·3 = 3.5; both measured only there, so 10%,
  // 20%, 40% and 50% have one method and no comparison.
  const std::vector<SizeWinner> clear =
      best_method_by_size(two_methods(0.1), "loss/tiny"_metric, 0);
  ASSERT_EQ(clear.size(), 1u);
  EXPECT_DOUBLE_EQ(clear[0].fraction, 0.3);
  EXPECT_EQ(clear[0].method, "wide");
  EXPECT_DOUBLE_EQ(clear[0].value, 2.4);
  EXPECT_EQ(clear[0].tied_with, "");  // 1.1 apart; 2·√(0.14² + 0.1²) ≈ 0.34
  // With narrow's errors at 0.6 the difference is within 2·√(0.14² + 0.6²) ≈ 1.23: a tie.
  const std::vector<SizeWinner> tied = best_method_by_size(two_methods(0.6), "loss/tiny"_metric, 0);
  ASSERT_EQ(tied.size(), 1u);
  EXPECT_EQ(tied[0].method, "wide");
  EXPECT_EQ(tied[0].tied_with, "narrow");
}

}  // namespace
}  // namespace claw::study
