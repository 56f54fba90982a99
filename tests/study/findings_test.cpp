// The paper's findings on a study's results: the curvature test against exact curves and noise,
// and the verdicts on results made to agree or disagree with the paper.
#include <gtest/gtest.h>

#include <cmath>

#include "core/error.h"
#include "study/findings.h"
#include "study/objective_comparison.h"
#include "support/metric_names.h"

namespace claw::study {
namespace {

using claw::testing::operator""_metric;

TEST(Findings, CurvatureTellsQuadraticFromLinearAndSaysWhenItCannot) {
  std::vector<std::pair<double, double>> parabola, line, noisy;
  for (int i = 1; i <= 9; ++i) {
    const double r = i / 10.0;
    const double wobble = 0.01 * std::sin(11.0 * i);
    parabola.emplace_back(r, 2 + 0.5 * r + 3 * r * r + wobble);
    line.emplace_back(r, 0.7 - 0.3 * r + 0.001 * std::sin(11.0 * i));
    noisy.emplace_back(r, 0.7 - 0.01 * r + 0.05 * std::sin(11.0 * i));
  }
  const CurvatureTest bent = test_curvature(parabola);
  EXPECT_EQ(bent.shape, Curvature::kQuadratic);
  EXPECT_NEAR(bent.quadratic.estimate, 3, 0.2);
  EXPECT_LT(bent.quadratic.ci_low, 3);
  EXPECT_GT(bent.quadratic.ci_high, 3);
  const CurvatureTest straight = test_curvature(line);
  EXPECT_EQ(straight.shape, Curvature::kLinear)
      << straight.quadratic.ci_low << " " << straight.quadratic.ci_high;
  EXPECT_LE(straight.bend_share, kLinearShare);
  EXPECT_EQ(test_curvature(noisy).shape, Curvature::kCannotTell);
  EXPECT_THROW(test_curvature({{0.1, 1}, {0.2, 2}, {0.3, 3}}), Error);
}

ExperimentResult experiment(const std::string& kind, const std::string& method, double ratio,
                            std::int64_t tokens, std::vector<MetricValue> metrics) {
  ExperimentResult r;
  r.kind = kind;
  r.model = "m";
  r.method = method;
  r.ratio = ratio;
  r.tokens = tokens;
  r.metrics = std::move(metrics);
  return r;
}

// Calibration-free (random): the loss rises as 2 (1 + 3r²) and recovery removes 40% of the rise;
// the accuracy falls as 0.8 − 0.3r and recovery wins back half the drop. Calibration-based
// (slicegpt): the loss rises half as much, and recovery wins back a tenth of the accuracy.
std::vector<ExperimentResult> paper_like_results() {
  std::vector<ExperimentResult> results = {
      experiment("base", "", 0, 0,
                 {{"loss/tiny"_metric, 2.0, 0.002, "L"},
                  {"accuracy/blimp"_metric, 0.8, 0.005, "A"},
                  {"chance/blimp"_metric, 0.5, std::nullopt, "C"}})};
  for (const char* method : {"random", "slicegpt"}) {
    const double steep = std::string(method) == "random" ? 1.0 : 0.5;
    for (int i = 1; i <= 9; ++i) {
      const double r = i / 10.0;
      for (const std::int64_t d : {0, 100000}) {
        const double kept = d > 0 ? 0.6 : 1.0;
        const double loss = 2.0 * (1 + steep * 3 * r * r * kept);
        const double drop = 0.3 * r * (d > 0 ? (steep == 1.0 ? 0.5 : 0.9) : 1.0);
        results.push_back(experiment("compressed", method, r, d,
                                     {{"loss/tiny"_metric, loss, 0.002, "L"},
                                      {"accuracy/blimp"_metric, 0.8 - drop, 0.005, "A"}}));
      }
    }
  }
  return results;
}

const Finding* find(const std::vector<Finding>& findings, const std::string& topic_start) {
  for (const Finding& f : findings) {
    if (f.topic.rfind(topic_start, 0) == 0) return &f;
  }
  return nullptr;
}

TEST(Findings, VerdictsOnResultsShapedLikeThePapersClaims) {
  const std::vector<Finding> findings = paper_findings(StudyResults(paper_like_results()));
  const Finding* loss = find(findings, "loss/tiny, random");
  ASSERT_NE(loss, nullptr);
  EXPECT_EQ(loss->verdict, "agrees") << loss->here;
  const Finding* accuracy = find(findings, "accuracy/blimp, random");
  ASSERT_NE(accuracy, nullptr);
  EXPECT_EQ(accuracy->verdict, "agrees") << accuracy->here;

  // The largest gain: random at r = 0.9, 1 − (1 + 3·0.81·0.6) / (1 + 3·0.81) = 28.3%, below 55%.
  const Finding* gain = find(findings, "largest recovery gain in loss/tiny");
  ASSERT_NE(gain, nullptr);
  EXPECT_NE(gain->here.find("28.3%"), std::string::npos) << gain->here;
  EXPECT_EQ(gain->verdict, "disagrees");

  const Finding* stability = find(findings, "intrinsic stability: loss/tiny");
  ASSERT_NE(stability, nullptr);
  EXPECT_EQ(stability->verdict, "agrees") << stability->here;
  const Finding* recovery = find(findings, "extrinsic recovery: accuracy/blimp");
  ASSERT_NE(recovery, nullptr);
  EXPECT_EQ(recovery->verdict, "agrees") << recovery->here;
}

TEST(Findings, WithoutStandardErrorsTheyCannotTell) {
  std::vector<ExperimentResult> results = paper_like_results();
  for (ExperimentResult& e : results) {
    for (MetricValue& m : e.metrics) m.standard_error.reset();
  }
  const std::vector<Finding> findings = paper_findings(StudyResults(results));
  EXPECT_EQ(find(findings, "largest recovery gain")->verdict, "cannot tell");
  EXPECT_EQ(find(findings, "intrinsic stability")->verdict, "cannot tell");
}

// paper_like_results() with each recovered model also distilled, its loss `shift` from the
// next-token one's.
std::vector<ExperimentResult> with_distillation(double shift, double error) {
  std::vector<ExperimentResult> results = paper_like_results();
  const std::size_t next_token = results.size();
  for (std::size_t i = 0; i < next_token; ++i) {
    if (results[i].kind != "compressed" || results[i].tokens == 0) continue;
    ExperimentResult kd = results[i];
    kd.config["recovery"] = {{"tokens", kd.tokens}, {"objective", "kd"}};
    for (MetricValue& m : kd.metrics) {
      if (m.name.kind == MetricKind::kLoss) m = {m.name, m.value + shift, error, m.protocol};
    }
    results.push_back(std::move(kd));
  }
  return results;
}

TEST(Findings, DistillationIsComparedAtEachRecoveredModelAndPooled) {
  const StudyResults results(with_distillation(-0.05, 0.002));
  ASSERT_EQ(results.objectives.size(), 2u);
  // The tables stay next-token training's.
  EXPECT_DOUBLE_EQ(results.value("random", 0.5, 100000, "loss/tiny"_metric),
                   2.0 * (1 + 3 * 0.25 * 0.6));
  const std::vector<ObjectiveComparison> comparisons = compare_objectives(results);
  std::size_t losses = 0;
  for (const ObjectiveComparison& c : comparisons) {
    EXPECT_EQ(c.tokens, 100000);
    if (c.metric != "loss/tiny"_metric) {
      EXPECT_EQ(c.difference, 0) << "only the loss was shifted";
      continue;
    }
    ++losses;
    EXPECT_NEAR(c.difference, -0.05, 1e-12);
    EXPECT_NEAR(c.gain(), 0.05, 1e-12);
    EXPECT_EQ(c.base_value, 2.0);
    const double half_width = kZ95 * std::hypot(0.002, 0.002);
    EXPECT_NEAR(*c.low, -0.05 - half_width, 1e-12);
    EXPECT_NEAR(*c.high, -0.05 + half_width, 1e-12);
  }
  EXPECT_EQ(losses, 18u);  // 2 methods × 9 ratios at the one D > 0

  const auto verdict = [](double shift, double error) {
    const std::vector<Finding> findings =
        paper_findings(StudyResults(with_distillation(shift, error)));
    const Finding* f = find(findings, "loss/tiny, 18 (method, r, D > 0) both recovered");
    EXPECT_NE(f, nullptr);
    EXPECT_EQ(f->paper, kDistillationClaim);
    EXPECT_EQ(f->claimed_by, kDistillationClaimedBy);
    return f != nullptr ? f->verdict : "";
  };
  EXPECT_EQ(verdict(-0.05, 0.002), kAgrees);
  EXPECT_EQ(verdict(+0.05, 0.002), kDisagrees);
  EXPECT_EQ(verdict(-0.05, 1.0), kCannotTell);
  // Without a distilled experiment there is nothing to compare.
  EXPECT_TRUE(compare_objectives(StudyResults(paper_like_results())).empty());
}

}  // namespace
}  // namespace claw::study
