// claw fit, predict and critical through the command line, on results generated from known
// coefficients.
#include <gtest/gtest.h>

#include <cmath>
#include <iomanip>
#include <random>

#include "core/json.h"
#include "support/test_support.h"

namespace claw {
namespace {

using claw::testing::expect_claw_refuses;
using claw::testing::run_claw;
using claw::testing::ScratchDir;

constexpr double kAlpha = 0.9, kBeta = 2.1, kGamma = 0.4;

// Two methods × three frontiers × five ratios × four recovery budgets, log-normal noise 0.02.
std::string results_csv() {
  std::mt19937 generator(21);
  std::normal_distribution<double> noise(0, 0.02);
  std::string csv = "model,task,method,ratio,tokens,metric,value,base_value\n";
  for (const char* method : {"prunenet", "slicegpt"}) {
    for (const double base : {1.6, 2.4, 3.2}) {
      for (const double ratio : {0.1, 0.3, 0.5, 0.7, 0.9}) {
        for (const double tokens : {0.0, 25e3, 100e3, 200e3}) {
          const double value = std::pow(base, kAlpha) * std::pow(1 + ratio, kBeta) *
                               std::pow(1 + 1 / (tokens / 1e6 + 1), kGamma) *
                               std::exp(noise(generator));
          csv += concat("m", base, ",wikitext2,", method, ",", ratio, ",", tokens, ",loss,", value,
                        ",", base, "\n");
        }
      }
    }
  }
  return csv;
}

TEST(Fit, RecoversKnownCoefficientsAndAnswersQueries) {
  const ScratchDir scratch;
  testing::write_bytes(scratch / "results.csv", results_csv());
  const std::string law = (scratch / "law.json").string();
  const auto fit = run_claw("-q fit --results " + (scratch / "results.csv").string() +
                            " --by method --form v1 --d-scale mtokens --scope pooled --out " + law);
  ASSERT_EQ(fit.exit_code, 0) << fit.err;
  EXPECT_NE(fit.out.find("law for method = slicegpt: loss of 60 observations"), std::string::npos)
      << fit.out;
  EXPECT_NE(fit.out.find("held out by frontier"), std::string::npos) << fit.out;
  EXPECT_NE(fit.out.find("chosen: v1, D in mtokens, pooled: the only candidate"), std::string::npos)
      << fit.out;
  EXPECT_NE(fit.out.find("centred R² of log L"), std::string::npos) << fit.out;

  const Json file = read_json_file(law);
  ASSERT_EQ(file["laws"].size(), 2u);
  for (const Json& entry : file["laws"]) {
    const Json& coefficients = entry["law"]["parts"][0]["fit"]["coefficients"];
    const double truth[] = {kAlpha, kBeta, kGamma};
    for (int j = 0; j < 3; ++j) {
      EXPECT_LE(coefficients[j]["ci95"][0].get<double>(), truth[j]) << coefficients[j].dump();
      EXPECT_GE(coefficients[j]["ci95"][1].get<double>(), truth[j]) << coefficients[j].dump();
    }
    EXPECT_EQ(entry["selection"]["candidates"][0]["held_out"].size(), 4u);
  }

  // The critical ratio, fed back to predict, gives σ · L0.
  const auto critical = run_claw("critical --json --law " + law +
                                 " --group prunenet --sigma 2 --L0 2.4 --tokens 50000");
  ASSERT_EQ(critical.exit_code, 0) << critical.err;
  const double ratio = Json::parse(critical.out)["critical_ratio"].get<double>();
  ASSERT_GT(ratio, 0);
  ASSERT_LT(ratio, 1);
  const auto predicted = run_claw("predict --json --law " + law + " --group prunenet --L0 2.4 " +
                                  "--tokens 50000 --ratio " + concat(std::setprecision(17), ratio));
  ASSERT_EQ(predicted.exit_code, 0) << predicted.err;
  EXPECT_NEAR(Json::parse(predicted.out)["prediction"].get<double>(), 2 * 2.4, 1e-9);

  expect_claw_refuses("predict --law " + law + " --L0 2 --ratio 0.5",
                      "has a law per group ('prunenet', 'slicegpt'); choose one with --group");
  expect_claw_refuses("predict --law " + law + " --group prunenet --ratio 0.5",
                      "pass --frontier or --L0: the law was fitted on 'm1.6/wikitext2'");
  expect_claw_refuses("predict --law " + law + " --group prunenet --L0 2 --ratio 1.5",
                      "outside [0, 1)");
  expect_claw_refuses("critical --law " + law + " --group prunenet --L0 -2 --sigma 0.9",
                      "L0 must be positive");
}

TEST(Fit, SaysWhatCannotBeFitted) {
  const ScratchDir scratch;
  const std::string header = "model,task,method,ratio,tokens,metric,value,base_value\n";
  auto file = [&](const std::string& name, const std::string& text) {
    testing::write_bytes(scratch / name, text);
    return (scratch / name).string();
  };
  expect_claw_refuses("fit --results " + file("a.csv", "model,task,ratio\n"), "no column 'method'");
  expect_claw_refuses("fit --results " + file("b.csv", header + "m,t,x,0.5,0,loss,0,2\n"),
                      "b.csv:2: the value 0 must be positive");
  expect_claw_refuses("fit --results " + file("c.csv", header + "m,t,x,1.5,0,loss,3,2\n"),
                      "c.csv:2: the ratio 1.5 is outside [0, 1)");
  const std::string two_rows =
      file("d.csv", header + "m,t,x,0.5,0,loss,3,2\nm,t,x,0.6,0,loss,3.1,2\n");
  expect_claw_refuses("fit --form v1 --results " + two_rows,
                      "fitting 2 coefficients needs more than 2 observations");
  expect_claw_refuses("fit --results " + two_rows,
                      "no candidate could be refitted on every fold of any held-out grouping");
  expect_claw_refuses("fit --metric acc --results " + file("e.csv", header), "no rows of metric");
  expect_claw_refuses("fit --where colour=red --results " + file("f.csv", header),
                      "unknown field 'colour'");

  // One D only: fitted without γ, and said so.
  std::string one_budget = header;
  for (const double r : {0.1, 0.3, 0.5, 0.7}) {
    for (const double base : {2.0, 3.0}) {
      one_budget +=
          concat("m", base, ",t,x,", r, ",0,loss,", base * (1 + r) * (1 + r), ",", base, "\n");
    }
  }
  const auto fit = run_claw("-q fit --form v1 --results " + file("g.csv", one_budget));
  ASSERT_EQ(fit.exit_code, 0) << fit.err;
  EXPECT_NE(fit.out.find("so gamma (g(D)) cannot be identified"), std::string::npos) << fit.out;
  const auto every_form = run_claw("-q fit --results " + file("g2.csv", one_budget));
  ASSERT_EQ(every_form.exit_code, 0) << every_form.err;
  EXPECT_NE(every_form.out.find("cannot be identified; the law was fitted without"),
            std::string::npos)
      << every_form.out;
  expect_claw_refuses("fit --form v3 --results " + file("h.csv", one_budget),
                      "unknown law form 'v3'; the forms are v1, v1+c, v2");
}

// By default every form is fitted and the best predictor chosen, with the reason.
TEST(Fit, ChoosesTheFormThatPredictsBest) {
  const ScratchDir scratch;
  testing::write_bytes(scratch / "results.csv", results_csv());
  const auto fit =
      run_claw("-q fit --where method=prunenet --results " + (scratch / "results.csv").string());
  ASSERT_EQ(fit.exit_code, 0) << fit.err;
  EXPECT_NE(fit.out.find("chosen: "), std::string::npos) << fit.out;
  EXPECT_NE(fit.out.find("rolling-extrapolation MAPE"), std::string::npos) << fit.out;
  EXPECT_NE(fit.out.find("anchored+r2, D scale fitted, per-frontier"), std::string::npos);
}

// An accuracy whose base model is at chance: no law, and so no critical ratio, and why.
TEST(Fit, AnAccuracyAtChanceGetsAWarningAndNoLaw) {
  const ScratchDir scratch;
  std::string csv =
      "model,task,method,ratio,tokens,metric,value,base_value,chance,base_std_error\n";
  for (const double r : {0.1, 0.3, 0.5, 0.7, 0.9}) {
    csv += concat("m,piqa,random,", r, ",0,acc,", 0.5 + 0.01 * r, ",0.51,0.5,0.02\n");
  }
  testing::write_bytes(scratch / "acc.csv", csv);
  expect_claw_refuses("fit --metric acc --results " + (scratch / "acc.csv").string(),
                      "no law could be fitted: law: m/piqa: the uncompressed model's acc 0.510 ± "
                      "0.020 is not 2 standard errors above chance (0.5)");

  // Above chance: (acc − chance) / (1 − chance), rows at chance left out and said to be.
  csv = "model,task,method,ratio,tokens,metric,value,base_value,chance,base_std_error\n";
  for (const double r : {0.1, 0.3, 0.5, 0.7, 0.9, 0.95}) {
    csv += concat("m,piqa,random,", r, ",0,acc,", 0.8 - 0.32 * r, ",0.8,0.5,0.01\n");
  }
  testing::write_bytes(scratch / "above.csv", csv);
  const auto above = run_claw(
      "-q fit --metric acc --above-chance --form v2 --scope pooled "
      "--results " +
      (scratch / "above.csv").string());
  ASSERT_EQ(above.exit_code, 0) << above.err;
  EXPECT_NE(above.out.find("acc of 5 observations, as (acc − chance) / (1 − chance)"),
            std::string::npos)
      << above.out;
  EXPECT_NE(above.out.find("1 observations at or below chance were left out"), std::string::npos);
}

}  // namespace
}  // namespace claw
