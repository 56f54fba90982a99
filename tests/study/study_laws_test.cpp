// A store's laws: observations take L0, chance and L0's standard error from the base of the same
// evaluation; an extrinsic frontier at chance is left out with a warning and gets no critical
// ratio, while the others get theirs from the chosen law.
#include <gtest/gtest.h>

#include <cmath>

#include "study/study_laws.h"
#include "support/metric_names.h"

namespace claw::study {
namespace {

using claw::testing::operator""_metric;

ExperimentResult experiment(const std::string& key, const std::string& kind,
                            const std::string& method, double ratio, std::int64_t tokens) {
  ExperimentResult r;
  r.key = key;
  r.kind = kind;
  r.model = "m";
  r.method = method;
  r.ratio = ratio;
  r.tokens = tokens;
  r.config = {{"evaluation", {{"loss", "x"}}}};
  return r;
}

TEST(StudyLaws, ObservationsTakeL0ChanceAndErrorFromTheBaseOfTheSameEvaluation) {
  ExperimentResult base = experiment("b", "base", "", 0, 0);
  base.metrics = {{"loss/tiny"_metric, 2.0, 0.01, "L"},
                  {"acc/piqa"_metric, 0.6, 0.02, "A"},
                  {"chance/piqa"_metric, 0.5, std::nullopt, "C"}};
  ExperimentResult compressed = experiment("c1", "compressed", "random", 0.5, 1000);
  compressed.metrics = {{"loss/tiny"_metric, 3.0, 0.01, "L"},
                        {"acc/piqa"_metric, 0.55, 0.02, "A"},
                        {"fraction_removed/total"_metric, 0.3, std::nullopt, "P"}};
  ExperimentResult other = experiment("c2", "compressed", "random", 0.5, 0);
  other.config = {{"evaluation", {{"loss", "another"}}}};  // no base of its evaluation
  other.metrics = {{"loss/tiny"_metric, 9.0, std::nullopt, "L"}};
  const std::vector<laws::Observation> o =
      store_observations({base, compressed, other}, "s.sqlite");
  ASSERT_EQ(o.size(), 2u);  // loss and acc of c1; fraction_removed is no quality metric
  EXPECT_EQ(o[0].metric, "loss");
  EXPECT_EQ(o[0].task, "tiny");
  EXPECT_EQ(o[0].value, 3.0);
  EXPECT_EQ(o[0].base_value, 2.0);
  EXPECT_EQ(o[0].tokens, 1000);
  EXPECT_FALSE(o[0].chance);
  EXPECT_EQ(o[1].metric, "acc");
  EXPECT_EQ(*o[1].chance, 0.5);
  EXPECT_EQ(*o[1].base_std_error, 0.02);
  EXPECT_EQ(method_family("slicegpt"), "calibration-based");
  EXPECT_EQ(method_family("prunenet"), "calibration-free");
}

// A base model at chance on the average (0.26 ± 0.02 against 0.25) and well above it on a group
// (0.70 ± 0.01 against 0.5); the compressed models lose accuracy and loss with r.
std::vector<ExperimentResult> store_with_a_frontier_at_chance() {
  std::vector<ExperimentResult> results;
  ExperimentResult base = experiment("b", "base", "", 0, 0);
  base.metrics = {{"loss/tiny"_metric, 2.0, 0.01, "L"},
                  {"accuracy/average"_metric, 0.26, 0.02, "A"},
                  {"chance/average"_metric, 0.25, std::nullopt, "C"},
                  {"accuracy/blimp"_metric, 0.7, 0.01, "A"},
                  {"chance/blimp"_metric, 0.5, std::nullopt, "C"}};
  results.push_back(base);
  int key = 0;
  for (const double r : {0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9}) {
    for (const std::int64_t d : {0, 50000, 200000}) {
      ExperimentResult e = experiment(std::to_string(key), "compressed", "random", r, d);
      const double recovery = std::log1p(1 / (d / 1e6 + 1));
      const double wobble = 0.01 * std::sin(13.0 * ++key);
      e.metrics = {
          {"loss/tiny"_metric, 2.0 * std::pow(1 + r, 1.5 + recovery) * (1 + wobble), 0.01, "L"},
          {"accuracy/average"_metric, 0.25 + 0.01 * std::cos(7.0 * key), 0.02, "A"},
          {"accuracy/blimp"_metric, 0.7 * std::pow(1 + r, -0.6) * (1 + wobble), 0.01, "A"}};
      results.push_back(e);
    }
  }
  return results;
}

TEST(StudyLaws, AFrontierAtChanceIsWarnedAboutAndGetsNoCriticalRatio) {
  const std::vector<StudyFit> fits =
      fit_study_laws(store_observations(store_with_a_frontier_at_chance(), "s.sqlite"));
  ASSERT_EQ(fits.size(), 2u);  // loss and accuracy, one family
  const StudyFit& accuracy = fits[1];
  EXPECT_EQ(accuracy.metric, "accuracy");
  ASSERT_EQ(accuracy.warnings.size(), 1u);
  EXPECT_NE(accuracy.warnings[0].find("m/average"), std::string::npos) << accuracy.warnings[0];
  EXPECT_NE(accuracy.warnings[0].find("not 2 standard errors above chance"), std::string::npos);
  for (const laws::Observation& o : accuracy.observations) EXPECT_EQ(o.task, "blimp");
  ASSERT_NE(accuracy.chosen(), nullptr) << accuracy.selection.reason;

  int blimp = 0, loss = 0;
  for (const CriticalRow& row : critical_ratios(fits)) {
    EXPECT_NE(row.frontier, "m/average");
    if (row.frontier == "m/blimp") {
      ++blimp;
      // 0.8 of 0.7 is 0.56, above chance; reached where 0.7 (1+r)^-0.6 = 0.56.
      if (row.sigma == 0.8 && !row.tokens) {
        ASSERT_TRUE(row.critical.ratio) << row.critical.meaning;
        EXPECT_NEAR(*row.critical.ratio, std::pow(0.8, 1 / -0.6) - 1, 0.05);
      }
    }
    loss += row.metric == "loss";
  }
  EXPECT_EQ(blimp, 3 * 3);  // σ × D
  EXPECT_EQ(loss, 3 * 3);
}

}  // namespace
}  // namespace claw::study
