// Choosing a law by prediction: on data made from each form, the choice is that form or one
// that predicts the truth as well, within the noise; the reason is said; what cannot be ranked
// is said too.
#include <gtest/gtest.h>

#include <cmath>

#include "laws/selection.h"
#include "laws/synthetic_laws.h"

namespace claw::laws {
namespace {

using synthetic::form_data;
using synthetic::Truth;

// The root-mean-square distance on the log scale between a law's predictions and the truth's,
// over the settings the data has.
double distance_to_truth(const FittedLaw& law, const Truth& truth,
                         const std::vector<Observation>& data) {
  double squared = 0;
  for (const Observation& o : data) {
    const double error = std::log(predict(law, o).estimate) -
                         synthetic::true_log_value(truth, o.base_value, o.ratio, o.tokens);
    squared += error * error;
  }
  return std::sqrt(squared / static_cast<double>(data.size()));
}

TEST(Selection, ChoosesTheGeneratingFormOrOneThatPredictsAsWell) {
  SelectionOptions options;
  options.d_scales = {DScaleKind::kMillions};  // the scale the data was made with
  for (const Truth& truth : synthetic::every_form_truth()) {
    const std::vector<Observation> data = form_data(truth, 21);
    const LawSelection selection = select_law(data, options);
    const Candidate* chosen = selection.chosen_candidate();
    ASSERT_NE(chosen, nullptr) << truth.form << ": " << selection.reason;
    EXPECT_EQ(selection.criterion, "rolling");
    EXPECT_FALSE(selection.reason.empty());
    if (chosen->spec.form->name == truth.form) continue;
    // Another form (a richer one, or the same per frontier) must predict the noise-free truth
    // to within the noise.
    EXPECT_LT(distance_to_truth(*chosen->law, truth, data), truth.noise)
        << truth.form << " generated, " << chosen->spec.name() << " chosen: " << selection.reason;
  }
}

TEST(Selection, EveryCandidateIsListedWithItsErrorsOrWhyNot) {
  const Truth truth = synthetic::every_form_truth()[0];
  const LawSelection selection = select_law(form_data(truth, 3), {});
  // 7 forms with D × 4 scales × 2 scopes + v2, without D, × 2 scopes.
  EXPECT_EQ(selection.candidates.size(), 7u * 4 * 2 + 2);
  for (const Candidate& c : selection.candidates) {
    if (c.law) {
      EXPECT_NE(find_held_out(c.held_out, "rolling"), nullptr) << c.spec.name();
    } else {
      EXPECT_FALSE(c.error.empty()) << c.spec.name();  // v1+c per frontier: one L0 each
    }
  }
  const Json json = selection.json();
  EXPECT_EQ(json["criterion"], "rolling");
  int chosen = 0;
  for (const Json& c : json["candidates"]) chosen += c["chosen"].get<bool>();
  EXPECT_EQ(chosen, 1);
}

TEST(Selection, PrefersFewerCoefficientsWithinOneStandardError) {
  // v1 data: v1+r2 fits it as well (δ ≈ 0) but has a coefficient more.
  const Truth truth = synthetic::every_form_truth()[0];
  SelectionOptions options;
  options.forms = {&law_form("v1"), &law_form("v1+r2")};
  options.d_scales = {DScaleKind::kMillions};
  options.scopes = {Scope::kPooled};
  const LawSelection selection = select_law(form_data(truth, 5), options);
  ASSERT_NE(selection.chosen_candidate(), nullptr);
  EXPECT_STREQ(selection.chosen_candidate()->spec.form->name, "v1") << selection.reason;
}

TEST(Selection, SaysWhenNothingCanBeRanked) {
  const Truth truth = synthetic::every_form_truth()[0];
  // One ratio: no form with a term of r can be fitted.
  const LawSelection one_ratio =
      select_law(form_data(truth, 6, synthetic::default_budgets(), {0.5}), {});
  EXPECT_EQ(one_ratio.chosen_candidate(), nullptr);
  EXPECT_NE(one_ratio.reason.find("no candidate could be fitted"), std::string::npos)
      << one_ratio.reason;
  // One candidate asked for: it is the choice.
  SelectionOptions one;
  one.forms = {&law_form("v2")};
  one.scopes = {Scope::kPooled};
  const LawSelection single = select_law(form_data(truth, 6), one);
  ASSERT_NE(single.chosen_candidate(), nullptr);
  EXPECT_EQ(single.reason, "the only candidate that could be fitted");
}

}  // namespace
}  // namespace claw::laws
