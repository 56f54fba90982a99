// The compression law on data made from known coefficients: the fit recovers them inside its
// confidence intervals, the critical ratio inverts the prediction, held-out refits of an exact law
// predict exactly, and what cannot be fitted is refused with the reason.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "core/error.h"
#include "laws/compression_law.h"
#include "laws/held_out.h"

namespace claw::laws {
namespace {

struct Truth {
  double c = 0, alpha = 0.9, beta = 2.1, gamma = 0.4;
  double noise = 0.02;  // standard deviation of log L
};

// Three frontiers × nine ratios × five recovery budgets, L from the law with log-normal noise.
std::vector<Observation> law_data(const Truth& truth, std::uint32_t seed,
                                  std::vector<double> budgets = {0, 25e3, 50e3, 100e3, 200e3}) {
  std::mt19937 generator(seed);
  std::normal_distribution<double> noise(0, truth.noise);
  std::vector<Observation> data;
  const char* models[] = {"small", "medium", "large"};
  const double bases[] = {3.2, 2.4, 1.6};
  for (int m = 0; m < 3; ++m) {
    for (int step = 1; step <= 9; ++step) {
      for (const double tokens : budgets) {
        Observation o;
        o.model = models[m];
        o.task = "wikitext2";
        o.method = "prunenet";
        o.metric = "loss";
        o.ratio = step / 10.0;
        o.tokens = tokens;
        o.base_value = bases[m];
        const double log_value = truth.c + truth.alpha * std::log(o.base_value) +
                                 truth.beta * std::log1p(o.ratio) +
                                 truth.gamma * std::log1p(1 / (tokens / 1e6 + 1));
        o.value = std::exp(log_value + (truth.noise > 0 ? noise(generator) : 0));
        o.source = "synthetic";
        o.line = static_cast<std::int64_t>(data.size()) + 2;
        data.push_back(o);
      }
    }
  }
  return data;
}

void expect_covers(const Coefficient& c, double truth) {
  EXPECT_LE(c.ci_low, truth) << c.name << " " << c.estimate << " ± " << c.std_error;
  EXPECT_GE(c.ci_high, truth) << c.name << " " << c.estimate << " ± " << c.std_error;
}

TEST(CompressionLaw, RecoversKnownCoefficientsInsideTheirIntervals) {
  const Truth truth;
  const CompressionLaw law = fit_compression_law(law_data(truth, 11), {});
  ASSERT_EQ(law.fit.coefficients.size(), 3u);
  expect_covers(law.fit.coefficients[0], truth.alpha);
  expect_covers(law.fit.coefficients[1], truth.beta);
  expect_covers(law.fit.coefficients[2], truth.gamma);
  EXPECT_FALSE(law.fit.centered);

  Truth shifted = truth;
  shifted.c = 0.3;
  const CompressionLaw with_intercept =
      fit_compression_law(law_data(shifted, 12), {/*intercept=*/true});
  ASSERT_EQ(with_intercept.fit.coefficients.size(), 4u);
  expect_covers(with_intercept.fit.coefficients[0], shifted.c);
  expect_covers(with_intercept.fit.coefficients[1], shifted.alpha);
  expect_covers(with_intercept.fit.coefficients[2], shifted.beta);
  expect_covers(with_intercept.fit.coefficients[3], shifted.gamma);
  EXPECT_TRUE(with_intercept.fit.centered);
}

TEST(CompressionLaw, TheCriticalRatioInvertsThePrediction) {
  for (const bool intercept : {false, true}) {
    Truth truth;
    truth.c = intercept ? 0.1 : 0;
    const CompressionLaw law = fit_compression_law(law_data(truth, 5), {intercept});
    for (const std::optional<double> tokens : {std::optional<double>(), std::optional(5e4)}) {
      const double base = 2.4, sigma = 2.5;
      const CriticalRatio critical = critical_ratio(law, sigma, base, tokens);
      ASSERT_TRUE(critical.in_range) << critical.meaning;
      // Bisection on the prediction, which rises with r (β > 0).
      double low = 0, high = 1 - 1e-15;
      for (int i = 0; i < 200; ++i) {
        const double middle = (low + high) / 2;
        (predict(law, base, middle, tokens).estimate < sigma * base ? low : high) = middle;
      }
      EXPECT_NEAR(critical.ratio, (low + high) / 2, 1e-9) << "intercept " << intercept;
    }
  }
}

TEST(CompressionLaw, TheCriticalRatioReducesToSigmaToTheOneOverBeta) {
  Truth exact;
  exact.alpha = 1;
  exact.gamma = 0.5;
  exact.noise = 0;
  const CompressionLaw law = fit_compression_law(law_data(exact, 1), {});
  const CriticalRatio critical = critical_ratio(law, 1.5, 2.0, std::nullopt);
  EXPECT_NEAR(critical.ratio, std::pow(1.5, 1 / exact.beta) - 1, 1e-9);
}

TEST(CompressionLaw, SaysWhenNoRatioReachesSigma) {
  const CompressionLaw law = fit_compression_law(law_data(Truth{}, 3), {});
  // Compression only raises the loss: a loss below the base is never reached...
  const CriticalRatio below = critical_ratio(law, 0.9, 2.4, std::nullopt);
  EXPECT_FALSE(below.in_range);
  EXPECT_NE(below.meaning.find("no ratio in [0, 1) stays within"), std::string::npos)
      << below.meaning;
  // ...and a 100-fold loss not before r = 1.
  const CriticalRatio far = critical_ratio(law, 100, 2.4, std::nullopt);
  EXPECT_FALSE(far.in_range);
  EXPECT_NE(far.meaning.find("no ratio in [0, 1) reaches 100"), std::string::npos) << far.meaning;
}

TEST(CompressionLaw, PredictionIntervalsHoldTheTruthAndWidenOffTheData) {
  const Truth truth;
  const CompressionLaw law = fit_compression_law(law_data(truth, 8), {});
  const Interval at = predict(law, 2.4, 0.5, 5e4);
  const double expected =
      std::pow(2.4, truth.alpha) * std::pow(1.5, truth.beta) * std::pow(1 + 1 / 1.05, truth.gamma);
  EXPECT_LT(at.low, expected);
  EXPECT_GT(at.high, expected);
  const Interval off = predict(law, 12.0, 0.5, 5e4);  // an L0 far from the three fitted
  EXPECT_GT(std::log(off.high / off.low), std::log(at.high / at.low));
}

TEST(CompressionLaw, FitsWithoutGammaWhenEveryDIsTheSame) {
  const CompressionLaw law = fit_compression_law(law_data(Truth{}, 2, {0}), {});
  EXPECT_FALSE(law.has_recovery_term);
  ASSERT_EQ(law.fit.coefficients.size(), 2u);
  ASSERT_EQ(law.notes.size(), 1u);
  EXPECT_NE(law.notes[0].find("γ cannot be identified"), std::string::npos);
  EXPECT_EQ(law.gamma(), 0);
}

TEST(CompressionLaw, RefusesWhatCannotBeFitted) {
  auto refuses = [](std::vector<Observation> data, const LawOptions& options,
                    const std::string& message) {
    try {
      fit_compression_law(data, options);
      ADD_FAILURE() << "accepted: " << message;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(message), std::string::npos) << e.what();
    }
  };
  std::vector<Observation> data = law_data(Truth{}, 4);
  data[3].value = 0;
  refuses(data, {}, "synthetic:5: the value 0 must be positive");
  data = law_data(Truth{}, 4);
  data[7].base_value = -1;
  refuses(data, {}, "synthetic:9: the base value -1 must be positive");
  data = law_data(Truth{}, 4);
  data[0].ratio = 1;
  refuses(data, {}, "the ratio 1 is outside [0, 1)");
  data = law_data(Truth{}, 4);
  for (Observation& o : data) o.ratio = 0.5;
  refuses(data, {}, "so β cannot be identified");
  data = law_data(Truth{}, 4);
  for (Observation& o : data) o.base_value = 2;
  refuses(data, {true}, "α and the intercept cannot both be identified");
  data = law_data(Truth{}, 4);
  data.resize(3);
  data[1].ratio = 0.2;
  data[2].tokens = 5;
  refuses(data, {}, "fitting 3 coefficients needs more than 3 observations, got 3");
}

TEST(HeldOut, AnExactLawPredictsEveryHeldOutGroupExactly) {
  Truth exact;
  exact.noise = 0;
  const std::vector<HeldOutQuality> quality = leave_one_group_out(law_data(exact, 1), {});
  ASSERT_EQ(quality.size(), 3u);
  EXPECT_EQ(quality[0].by, "ratio");
  EXPECT_EQ(quality[1].by, "tokens");
  EXPECT_EQ(quality[2].by, "frontier");
  for (const HeldOutQuality& q : quality) {
    EXPECT_EQ(q.predicted, 135) << q.by;
    EXPECT_LT(q.rmse, 1e-9) << q.by;
    EXPECT_LT(q.mape, 1e-9) << q.by;
  }
  EXPECT_EQ(quality[0].folds.size(), 9u);
  EXPECT_EQ(quality[2].folds.size(), 3u);
}

TEST(HeldOut, NoisyDataPredictsWithinTheNoise) {
  const std::vector<HeldOutQuality> quality = leave_one_group_out(law_data(Truth{}, 6), {});
  for (const HeldOutQuality& q : quality) EXPECT_LT(q.mape, 5) << q.by;
}

TEST(RatioPowerLaw, RecoversItsCoefficientsFromExactData) {
  std::vector<Observation> data = law_data(Truth{}, 1, {0});
  for (Observation& o : data) o.value = o.base_value * 1.3 * std::pow(1 - o.ratio, -0.8);
  const RatioPowerLaw law = fit_ratio_power_law(data);
  EXPECT_NEAR(law.p0, 1.3, 1e-12);
  EXPECT_NEAR(law.alpha, -0.8, 1e-12);
}

}  // namespace
}  // namespace claw::laws
