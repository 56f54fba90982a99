// Held-out errors: an exact law predicts every held-out group exactly, the rolling folds are the
// same for every form, per-frontier laws have no frontier-out grouping, and the MAPE's standard
// error is the plain sample formula.
#include <gtest/gtest.h>

#include <cmath>

#include "laws/held_out.h"
#include "laws/synthetic_laws.h"

namespace claw::laws {
namespace {

using synthetic::form_data;
using synthetic::spec_of;
using synthetic::Truth;

TEST(HeldOut, AnExactLawPredictsEveryHeldOutGroupExactly) {
  for (Truth truth : synthetic::every_form_truth()) {
    truth.noise = 0;
    const std::vector<HeldOutQuality> quality =
        held_out_quality(spec_of(truth.form), form_data(truth, 1));
    ASSERT_EQ(quality.size(), 4u) << truth.form;
    EXPECT_EQ(quality[0].by, "ratio");
    EXPECT_EQ(quality[1].by, "tokens");
    EXPECT_EQ(quality[2].by, "frontier");
    EXPECT_EQ(quality[3].by, "rolling");
    for (const HeldOutQuality& q : quality) {
      EXPECT_TRUE(q.complete()) << truth.form << " " << q.by;
      EXPECT_LT(q.errors.rmse, 1e-9) << truth.form << " " << q.by;
      EXPECT_LT(q.errors.mape, 1e-7) << truth.form << " " << q.by;
      EXPECT_EQ(q.by_frontier.size(), 3u);
    }
    EXPECT_EQ(quality[0].errors.predicted, 135);
    EXPECT_EQ(quality[0].folds.size(), 9u);
    EXPECT_EQ(quality[2].folds.size(), 3u);
  }
}

TEST(HeldOut, RollingFoldsFitTheFirstHalfOfTheRatiosOrMore) {
  const Truth truth = synthetic::every_form_truth()[0];
  const std::vector<HeldOutQuality> quality = held_out_quality(spec_of("v1"), form_data(truth, 2));
  const HeldOutQuality* rolling = find_held_out(quality, "rolling");
  ASSERT_NE(rolling, nullptr);
  ASSERT_EQ(rolling->folds.size(), 4u);
  EXPECT_EQ(rolling->folds[0].held_out, "r > 0.5");
  EXPECT_EQ(rolling->folds[0].rows, 4 * 15);
  EXPECT_EQ(rolling->folds[3].held_out, "r > 0.8");
  EXPECT_EQ(rolling->errors.predicted, (4 + 3 + 2 + 1) * 15);
  // Three ratios: one fold, fitted on two.
  const std::vector<HeldOutQuality> few = held_out_quality(
      spec_of("v1"), form_data(truth, 2, synthetic::default_budgets(), {0.2, 0.5, 0.8}));
  ASSERT_EQ(find_held_out(few, "rolling")->folds.size(), 1u);
  EXPECT_EQ(find_held_out(few, "rolling")->folds[0].held_out, "r > 0.5");
  // Two ratios: no rolling extrapolation.
  EXPECT_EQ(
      find_held_out(held_out_quality(spec_of("v1"),
                                     form_data(truth, 2, synthetic::default_budgets(), {0.2, 0.8})),
                    "rolling"),
      nullptr);
}

TEST(HeldOut, PerFrontierLawsAreNotAskedForAnotherFrontier) {
  const Truth truth = synthetic::every_form_truth()[6];
  const std::vector<HeldOutQuality> quality = held_out_quality(
      spec_of("anchored", DScaleKind::kMillions, Scope::kPerFrontier), form_data(truth, 3));
  EXPECT_EQ(find_held_out(quality, "frontier"), nullptr);
  EXPECT_NE(find_held_out(quality, "rolling"), nullptr);
}

TEST(HeldOut, AFoldThatCannotBeRefittedIsSaid) {
  // Leaving out the only other ratio leaves one ratio: β cannot be identified.
  const Truth truth = synthetic::every_form_truth()[0];
  const std::vector<HeldOutQuality> quality = held_out_quality(
      spec_of("v1"), form_data(truth, 2, synthetic::default_budgets(), {0.2, 0.8}));
  const HeldOutQuality* ratio = find_held_out(quality, "ratio");
  ASSERT_NE(ratio, nullptr);
  EXPECT_FALSE(ratio->complete());
  EXPECT_EQ(ratio->errors.predicted, 0);
  EXPECT_NE(ratio->folds[0].skipped.find("cannot be identified"), std::string::npos);
}

TEST(HeldOut, ErrorsFollowThePlainFormulas) {
  const std::vector<HeldOutPrediction> predictions = {
      {"f", 0.1, 0, 2.0, 2.2}, {"f", 0.2, 0, 4.0, 3.0}, {"f", 0.3, 0, 1.0, 1.05}};
  const PredictionErrors e = prediction_errors(predictions);
  const double shares[] = {0.1, 0.25, 0.05};
  const double mean = (0.1 + 0.25 + 0.05) / 3;
  double variance = 0;
  for (const double s : shares) variance += (s - mean) * (s - mean) / 2;
  EXPECT_NEAR(e.mape, 100 * mean, 1e-12);
  EXPECT_NEAR(e.mape_std_error, 100 * std::sqrt(variance / 3), 1e-12);
  EXPECT_NEAR(e.rmse, std::sqrt((0.04 + 1.0 + 0.0025) / 3), 1e-12);
}

}  // namespace
}  // namespace claw::laws
