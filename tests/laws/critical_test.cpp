// The critical ratio: the first crossing of the prediction, checked by bisection for forms that
// bend, σ^(1/β) − 1 for the paper's law at unlimited recovery, its interval against the
// prediction band, and what is said when no ratio reaches the target or the law cannot tell.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>

#include "core/error.h"
#include "laws/critical.h"
#include "laws/synthetic_laws.h"

namespace claw::laws {
namespace {

using synthetic::form_data;
using synthetic::spec_of;
using synthetic::Truth;

const std::string kFrontier = "medium/wikitext2";

// The r in [0, 1) at which f crosses `target` upwards, by bisection from both ends.
double bisect(const std::function<double(double)>& f, double target) {
  double low = 0, high = 1 - 1e-6;
  for (int i = 0; i < 200; ++i) {
    const double middle = (low + high) / 2;
    (f(middle) < target ? low : high) = middle;
  }
  return (low + high) / 2;
}

TEST(CriticalRatio, IsWhereThePredictionAndItsBandReachTheTarget) {
  for (const char* form : {"v1", "v1+c", "v1+r2+rD", "anchored+r2", "v2"}) {
    Truth truth;
    for (const Truth& t : synthetic::every_form_truth()) {
      if (t.form == form) truth = t;
    }
    const FittedLaw law = fit_law(spec_of(form), form_data(truth, 5));
    for (const std::optional<double> tokens : {std::optional<double>(), std::optional(5e4)}) {
      const double base = 2.4, sigma = 1.8;
      const CriticalRatio c = critical_ratio(law, kFrontier, sigma, base, tokens);
      ASSERT_TRUE(c.ratio) << form << ": " << c.meaning;
      auto at = [&](double r) { return predict(law, kFrontier, base, r, tokens); };
      EXPECT_NEAR(*c.ratio, bisect([&](double r) { return at(r).estimate; }, sigma * base), 1e-9)
          << form;
      ASSERT_TRUE(c.low && c.high) << form << ": " << c.meaning;
      EXPECT_LE(*c.low, *c.ratio);
      EXPECT_GE(*c.high, *c.ratio);
      EXPECT_NEAR(*c.low, bisect([&](double r) { return at(r).high; }, sigma * base), 1e-9);
      EXPECT_NEAR(*c.high, bisect([&](double r) { return at(r).low; }, sigma * base), 1e-9);
    }
  }
}

TEST(CriticalRatio, ReducesToSigmaToTheOneOverBeta) {
  Truth exact{"v1", {1.0, 2.1, 0.5}, 1e6, 0};
  const FittedLaw law = fit_law(spec_of("v1"), form_data(exact, 1));
  const CriticalRatio c = critical_ratio(law, kFrontier, 1.5, 2.0, std::nullopt);
  ASSERT_TRUE(c.ratio);
  EXPECT_EQ(c.outcome, CriticalRatio::kReached);
  EXPECT_NEAR(*c.ratio, std::pow(1.5, 1 / 2.1) - 1, 1e-9);
}

TEST(CriticalRatio, FollowsAFallingMetric) {
  // An accuracy: L = L0 (1+r)^-1.5 falls with r; σ = 0.8 of it is kept until r*.
  Truth accuracy{"anchored", {-1.5, 0.0}, 1e6, 0.01};
  const FittedLaw law = fit_law(spec_of("anchored"), form_data(accuracy, 2));
  const CriticalRatio c = critical_ratio(law, kFrontier, 0.8, 0.6, std::nullopt);
  ASSERT_TRUE(c.ratio) << c.meaning;
  EXPECT_NEAR(predict(law, kFrontier, 0.6, *c.ratio, std::nullopt).estimate, 0.48, 1e-9);
  EXPECT_NEAR(*c.ratio, std::pow(0.8, 1 / law.parts[0].fit.coefficients[0].estimate) - 1, 1e-9);
}

TEST(CriticalRatio, SaysWhenNoRatioReachesTheTarget) {
  const FittedLaw law = fit_law(spec_of("v1"), form_data(synthetic::every_form_truth()[0], 3));
  // Without recovery the law predicts 2.4^0.9 · 2^0.4 ≈ 2.9 at r = 0, past 1.01 × 2.4...
  const CriticalRatio near = critical_ratio(law, kFrontier, 1.01, 2.4, 0.0);
  EXPECT_FALSE(near.ratio);
  EXPECT_EQ(near.outcome, CriticalRatio::kPastAtZero);
  EXPECT_NE(near.meaning.find("no ratio in [0, 1) stays within σ"), std::string::npos)
      << near.meaning;
  // ...and a 100-fold loss not before r = 1.
  const CriticalRatio far = critical_ratio(law, kFrontier, 100, 2.4, std::nullopt);
  EXPECT_FALSE(far.ratio);
  EXPECT_FALSE(far.high);
  EXPECT_EQ(far.outcome, CriticalRatio::kNotReached);
  EXPECT_NE(far.meaning.find("no ratio in [0, 1) reaches 100"), std::string::npos) << far.meaning;
  EXPECT_THROW(critical_ratio(law, kFrontier, 1, 2.4, std::nullopt), Error);
}

TEST(CriticalRatio, IsWithheldWhenTheLawCannotTellTheMetricChanges) {
  Truth flat{"v1", {1.0, 0.0, 0.0}, 1e6, 0.05};
  const FittedLaw law = fit_law(spec_of("v1"), form_data(flat, 3));
  const CriticalRatio c = critical_ratio(law, kFrontier, 0.9, 2.4, std::nullopt);
  EXPECT_FALSE(c.ratio);
  EXPECT_FALSE(c.low);
  EXPECT_NE(c.meaning.find("no critical ratio: the fit cannot tell"), std::string::npos)
      << c.meaning;
}

TEST(TokensToReach, IsTheBudgetAtWhichThePredictionReachesTheTarget) {
  const FittedLaw law = fit_law(spec_of("v1"), form_data(synthetic::every_form_truth()[0], 3));
  const double base = 2.4, r = 0.5;
  auto at = [&](double tokens) { return predict(law, kFrontier, base, r, tokens).estimate; };
  ASSERT_LT(at(5e4), at(0.0)) << "recovery lowers this law's loss";
  const std::optional<double> tokens =
      tokens_to_reach(law, kFrontier, base, r, at(5e4), /*falling=*/true, 1e6);
  ASSERT_TRUE(tokens);
  EXPECT_NEAR(*tokens, 5e4, 1e-6 * 5e4);
  // A value the law predicts without recovery is reached at D = 0; one beyond every D searched
  // is not reached at all.
  EXPECT_EQ(tokens_to_reach(law, kFrontier, base, r, at(0.0) + 1, true, 1e6), 0.0);
  EXPECT_FALSE(tokens_to_reach(law, kFrontier, base, r, at(1e7), true, 1e6));
  // Read as a rising metric (an accuracy), the same target is met already at D = 0.
  EXPECT_EQ(tokens_to_reach(law, kFrontier, base, r, at(5e4), /*falling=*/false, 1e6), 0.0);
}

}  // namespace
}  // namespace claw::laws
