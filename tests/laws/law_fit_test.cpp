// Law forms on data made from known coefficients: the intervals cover the truth as often as they
// say; a fitted D scale finds the true one; what the data cannot identify is said for every form;
// predictions and laws read back from JSON agree. (statsmodels' numbers for every form are checked
// in ols_test.cpp.)
#include <gtest/gtest.h>

#include <cmath>
#include <functional>

#include "core/error.h"
#include "core/json.h"
#include "laws/law_fit.h"
#include "laws/synthetic_laws.h"

namespace claw::laws {
namespace {

using synthetic::form_data;
using synthetic::spec_of;
using synthetic::Truth;

// Over many noise draws, each coefficient's 95% interval holds the truth about 95% of the time,
// and the estimates centre on it.
TEST(LawFit, IntervalsCoverTheTrueCoefficientsAsOftenAsTheySay) {
  constexpr int kDraws = 60;
  for (const Truth& truth : synthetic::every_form_truth()) {
    std::vector<int> covered(truth.coefficients.size(), 0);
    std::vector<double> mean(truth.coefficients.size(), 0);
    for (int draw = 0; draw < kDraws; ++draw) {
      const FittedLaw law = fit_law(spec_of(truth.form), form_data(truth, 100 + draw));
      const auto& coefficients = law.parts[0].fit.coefficients;
      ASSERT_EQ(coefficients.size(), truth.coefficients.size()) << truth.form;
      for (std::size_t j = 0; j < coefficients.size(); ++j) {
        const Coefficient& c = coefficients[j];
        covered[j] += c.ci_low <= truth.coefficients[j] && truth.coefficients[j] <= c.ci_high;
        mean[j] += c.estimate / kDraws;
      }
    }
    for (std::size_t j = 0; j < covered.size(); ++j) {
      // 95% of 60 is 57; 51 or fewer would happen by chance less than once in a thousand.
      EXPECT_GE(covered[j], 52) << truth.form << " coefficient " << j;
      EXPECT_NEAR(mean[j], truth.coefficients[j], 0.05 + 0.05 * std::fabs(truth.coefficients[j]))
          << truth.form << " coefficient " << j;
    }
  }
}

TEST(LawFit, AFittedDScaleFindsTheTrueOne) {
  Truth truth{"v1+rD", {0.9, 1.2, 0.3, 1.5}, 5e4, 0.002};
  const std::vector<Observation> data = form_data(truth, 4);
  const FittedLaw fitted = fit_law(spec_of("v1+rD", DScaleKind::kFitted), data);
  EXPECT_NEAR(std::log10(fitted.parts[0].d_scale), std::log10(5e4), 0.1);
  EXPECT_EQ(fitted.parameters(), 5);
  // The search's fit is at least as good as any fixed unit's.
  for (const DScaleKind fixed :
       {DScaleKind::kTokens, DScaleKind::kThousands, DScaleKind::kMillions}) {
    EXPECT_LE(fitted.parts[0].fit.rss, fit_law(spec_of("v1+rD", fixed), data).parts[0].fit.rss);
  }
}

TEST(LawFit, PerFrontierFitsOnePartPerFrontier) {
  const Truth truth = synthetic::every_form_truth()[6];  // anchored
  const FittedLaw law =
      fit_law(spec_of("anchored", DScaleKind::kMillions, Scope::kPerFrontier), form_data(truth, 1));
  ASSERT_EQ(law.parts.size(), 3u);
  EXPECT_EQ(law.parameters(), 6);
  EXPECT_EQ(&law.part_for("medium/wikitext2"), &law.parts[1]);  // by name: large, medium, small
  try {
    law.part_for("other/wikitext2");
    FAIL() << "a per-frontier law answered for a frontier it was not fitted on";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("has no coefficients for 'other/wikitext2'"),
              std::string::npos)
        << e.what();
  }
  // With one L0 per frontier, the intercept and α cannot both be fitted.
  EXPECT_THROW(fit_law(spec_of("v1+c", DScaleKind::kMillions, Scope::kPerFrontier),
                       form_data(synthetic::every_form_truth()[1], 1)),
               Error);
}

// One ratio: every form with a term of r names the coefficients it cannot identify. One D: every
// form with a term of D is fitted without them and says which.
TEST(LawFit, SaysWhatEachFormCannotIdentify) {
  for (const Truth& truth : synthetic::every_form_truth()) {
    const LawForm& form = law_form(truth.form);
    std::vector<std::string> of_ratio, of_tokens;
    for (const Term t : form.terms) {
      if (term_definition(t).uses_ratio) of_ratio.push_back(term_definition(t).coefficient);
      if (term_definition(t).uses_tokens) of_tokens.push_back(term_definition(t).coefficient);
    }
    try {
      fit_law(spec_of(truth.form), form_data(truth, 2, synthetic::default_budgets(), {0.5}));
      ADD_FAILURE() << truth.form << " was fitted on one ratio";
    } catch (const Error& e) {
      for (const std::string& name : of_ratio) {
        EXPECT_NE(std::string(e.what()).find(name), std::string::npos) << e.what();
      }
      EXPECT_NE(std::string(e.what()).find("every observation has the ratio 0.5"),
                std::string::npos);
    }
    const FittedLaw one_budget = fit_law(spec_of(truth.form), form_data(truth, 2, {0}));
    if (of_tokens.empty()) {
      EXPECT_TRUE(one_budget.notes.empty()) << truth.form;
      continue;
    }
    ASSERT_EQ(one_budget.notes.size(), 1u) << truth.form;
    for (const std::string& name : of_tokens) {
      EXPECT_NE(one_budget.notes[0].find(name), std::string::npos) << one_budget.notes[0];
    }
    EXPECT_EQ(one_budget.terms.size(), form.terms.size() - of_tokens.size());
  }
}

TEST(LawFit, RefusesWhatCannotBeFitted) {
  auto refuses = [](std::vector<Observation> data, const std::string& form,
                    const std::string& message) {
    try {
      fit_law(spec_of(form), data);
      ADD_FAILURE() << "accepted: " << message;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(message), std::string::npos) << e.what();
    }
  };
  const Truth truth = synthetic::every_form_truth()[0];
  std::vector<Observation> data = form_data(truth, 4);
  data[3].value = 0;
  refuses(data, "v1", "synthetic:5: the value 0 must be positive");
  data = form_data(truth, 4);
  data[7].base_value = -1;
  refuses(data, "v1", "synthetic:9: the base value -1 must be positive");
  data = form_data(truth, 4);
  data[0].ratio = 1;
  refuses(data, "v1", "the ratio 1 is outside [0, 1)");
  data = form_data(truth, 4);
  for (Observation& o : data) o.base_value = 2;
  refuses(data, "v1+c", "alpha and the intercept cannot both be identified");
  data = form_data(truth, 4);
  data.resize(3);
  data[1].ratio = 0.2;
  data[2].tokens = 5;
  refuses(data, "v1", "fitting 3 coefficients needs more than 3 observations, got 3");
}

TEST(LawForm, NamesAreCheckedWithTheChoicesInTheMessage) {
  auto refuses = [](const std::function<void()>& parse, const std::string& message) {
    try {
      parse();
      ADD_FAILURE() << "accepted: " << message;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(message), std::string::npos) << e.what();
    }
  };
  refuses([] { law_form("v3"); }, "unknown law form 'v3'; the forms are v1, v1+c, v2, v1+r2");
  refuses([] { parse_d_scale("days", "--d-scale"); },
          "--d-scale: the D scale must be tokens, ktokens, mtokens or fitted, got 'days'");
  refuses([] { parse_scope("global", "--scope"); },
          "--scope: the scope must be pooled or per-frontier, got 'global'");
  EXPECT_EQ(parse_d_scale("ktokens", "x"), DScaleKind::kThousands);
  EXPECT_EQ(parse_scope("per-frontier", "x"), Scope::kPerFrontier);
  EXPECT_EQ(spec_of("v1+rD", DScaleKind::kFitted, Scope::kPerFrontier).name(),
            "v1+rD, D scale fitted, per-frontier");
  EXPECT_EQ(spec_of("v2").name(), "v2, pooled");
}

TEST(LawFit, PredictionIntervalsHoldTheTruthAndWidenOffTheData) {
  for (const Truth& truth : synthetic::every_form_truth()) {
    const FittedLaw law = fit_law(spec_of(truth.form), form_data(truth, 8));
    const Interval at = predict(law, "medium/wikitext2", 2.4, 0.5, 5e4);
    const double expected = std::exp(synthetic::true_log_value(truth, 2.4, 0.5, 5e4));
    EXPECT_LT(at.low, expected) << truth.form;
    EXPECT_GT(at.high, expected) << truth.form;
    // An L0 and a ratio far from the fitted ones.
    const Interval off = predict(law, "medium/wikitext2", 12.0, 0.99, 5e4);
    EXPECT_GT(std::log(off.high / off.low), std::log(at.high / at.low)) << truth.form;
  }
}

TEST(LawFit, ALawReadBackFromJsonPredictsTheSame) {
  const Truth truth = synthetic::every_form_truth()[7];  // anchored+r2
  const FittedLaw law = fit_law(spec_of("anchored+r2", DScaleKind::kFitted, Scope::kPerFrontier),
                                form_data(truth, 9));
  const FittedLaw reread = FittedLaw::from_json(law.json(), "law.json");
  for (const LawPart& part : law.parts) {
    const Interval a = predict(law, part.frontier, 2.0, 0.35, 3e4);
    const Interval b = predict(reread, part.frontier, 2.0, 0.35, 3e4);
    EXPECT_EQ(a.estimate, b.estimate);
    EXPECT_EQ(a.low, b.low);
    EXPECT_EQ(a.high, b.high);
  }
  EXPECT_THROW(FittedLaw::from_json(Json{{"form", "L = L0^alpha"}}, "old.json"), Error);
}

TEST(LawFit, WarnsWhenTheFitCannotTellTheMetricChangesWithR) {
  Truth flat{"v1", {1.0, 0.0, 0.0}, 1e6, 0.05};
  const FittedLaw law = fit_law(spec_of("v1"), form_data(flat, 3));
  EXPECT_NE(law.parts[0].warning.find("cannot tell that the metric changes with r"),
            std::string::npos)
      << law.parts[0].warning;
  const FittedLaw steep = fit_law(spec_of("v1"), form_data(synthetic::every_form_truth()[0], 3));
  EXPECT_TRUE(steep.parts[0].warning.empty()) << steep.parts[0].warning;
}

}  // namespace
}  // namespace claw::laws
