// OLS against statsmodels (tests/laws/fixtures/statsmodels_ols.json), with and without an
// intercept, and its refusals; every law form fitted by it against statsmodels' fit of the same
// form (statsmodels_forms.json). Each fixture is made by the script beside it.
#include <gtest/gtest.h>

#include <cmath>

#include "core/error.h"
#include "core/json.h"
#include "laws/law_fit.h"
#include "laws/ols.h"
#include "laws/synthetic_laws.h"
#include "support/test_support.h"

namespace claw::laws {
namespace {

void expect_relative(double actual, double expected, double tolerance, const std::string& what) {
  EXPECT_LE(std::fabs(actual - expected), tolerance * std::fabs(expected))
      << what << ": " << actual << " vs statsmodels " << expected;
}

class StatsmodelsOls : public ::testing::TestWithParam<int> {};

TEST_P(StatsmodelsOls, AgreesToOnePartIn1e8) {
  const Json fixture =
      read_json_file(claw::testing::fixture_path("laws/fixtures/statsmodels_ols.json"));
  const Json& c = fixture["cases"][GetParam()];
  const auto rows = c["x"].get<std::vector<std::vector<double>>>();
  Design design;
  design.names = c["names"].get<std::vector<std::string>>();
  design.has_intercept = c["has_intercept"].get<bool>();
  design.columns.assign(design.names.size(), {});
  for (const auto& row : rows) {
    for (std::size_t j = 0; j < row.size(); ++j) design.columns[j].push_back(row[j]);
  }
  const OlsFit fit = ols(design, c["y"].get<std::vector<double>>());
  const std::string name = c["name"].get<std::string>();

  ASSERT_EQ(fit.coefficients.size(), c["params"].size());
  for (std::size_t j = 0; j < fit.coefficients.size(); ++j) {
    const Coefficient& k = fit.coefficients[j];
    const std::string what = name + " " + k.name;
    expect_relative(k.estimate, c["params"][j], 1e-8, what + " estimate");
    expect_relative(k.std_error, c["bse"][j], 1e-8, what + " std error");
    expect_relative(k.t, c["tvalues"][j], 1e-8, what + " t");
    expect_relative(k.ci_low, c["conf_int"][j][0], 1e-8, what + " ci low");
    expect_relative(k.ci_high, c["conf_int"][j][1], 1e-8, what + " ci high");
    // p-values this far in the tail (down to 1e-200) come from different special-function
    // code; they agree to about 1e-6.
    expect_relative(k.p_value, c["pvalues"][j], 1e-6, what + " p");
  }
  EXPECT_EQ(fit.centered, design.has_intercept);
  expect_relative(fit.r_squared, c["rsquared"], 1e-8, name + " R²");
  expect_relative(fit.adj_r_squared, c["rsquared_adj"], 1e-8, name + " adjusted R²");
  expect_relative(fit.f_value, c["fvalue"], 1e-8, name + " F");
  expect_relative(fit.f_p_value, c["f_pvalue"], 1e-6, name + " F p");
  expect_relative(fit.rss, c["ssr"], 1e-8, name + " RSS");
  EXPECT_EQ(fit.df_model, c["df_model"].get<double>());
  EXPECT_EQ(fit.df_resid, c["df_resid"].get<double>());

  const Json& p = c["prediction"];
  const Interval interval = prediction_interval(fit, p["x"].get<std::vector<double>>());
  expect_relative(interval.estimate, p["mean"], 1e-8, name + " prediction");
  expect_relative(interval.low, p["obs_ci_lower"], 1e-8, name + " prediction low");
  expect_relative(interval.high, p["obs_ci_upper"], 1e-8, name + " prediction high");

  // What a law file stores reads back to the same fit.
  const OlsFit reread = OlsFit::from_json(fit.json(), "fit.json");
  EXPECT_EQ(reread.json(), fit.json());
}

INSTANTIATE_TEST_SUITE_P(, StatsmodelsOls, ::testing::Values(0, 1));

TEST(StatsmodelsForms, EveryFormAgreesToOnePartIn1e8) {
  const Json fixture =
      read_json_file(claw::testing::fixture_path("laws/fixtures/statsmodels_forms.json"));
  std::vector<Observation> observations;
  for (const Json& row : fixture["observations"]) {
    Observation o;
    o.model = row["model"].get<std::string>();
    o.task = "wikitext2";
    o.metric = "loss";
    o.ratio = row["ratio"].get<double>();
    o.tokens = row["tokens"].get<double>();
    o.value = row["value"].get<double>();
    o.base_value = row["base_value"].get<double>();
    observations.push_back(o);
  }
  ASSERT_EQ(fixture["d_scale_tokens"].get<double>(), d_scale_tokens(DScaleKind::kMillions));
  ASSERT_EQ(fixture["forms"].size(), law_forms().size());
  for (const Json& expected : fixture["forms"]) {
    const std::string name = expected["form"].get<std::string>();
    const FittedLaw law = fit_law(synthetic::spec_of(name), observations);
    ASSERT_EQ(law.parts.size(), 1u);
    const OlsFit& fit = law.parts[0].fit;
    ASSERT_EQ(fit.coefficients.size(), expected["params"].size()) << name;
    for (std::size_t j = 0; j < fit.coefficients.size(); ++j) {
      const Coefficient& c = fit.coefficients[j];
      const std::string what = name + " " + c.name;
      EXPECT_EQ(c.name, expected["names"][j].get<std::string>());
      expect_relative(c.estimate, expected["params"][j], 1e-8, what + " estimate");
      expect_relative(c.std_error, expected["bse"][j], 1e-8, what + " std error");
      expect_relative(c.t, expected["tvalues"][j], 1e-8, what + " t");
      expect_relative(c.ci_low, expected["conf_int"][j][0], 1e-8, what + " ci low");
      expect_relative(c.ci_high, expected["conf_int"][j][1], 1e-8, what + " ci high");
    }
    expect_relative(fit.r_squared, expected["rsquared"], 1e-8, name + " statsmodels' R²");
    expect_relative(fit.adj_r_squared, expected["rsquared_adj"], 1e-8, name + " adjusted R²");
    expect_relative(fit.f_value, expected["fvalue"], 1e-8, name + " F");
    expect_relative(fit.rss, expected["ssr"], 1e-8, name + " RSS");
    EXPECT_EQ(fit.df_model, expected["df_model"].get<double>()) << name;
    EXPECT_EQ(fit.df_resid, expected["df_resid"].get<double>()) << name;
    expect_relative(law.diagnostics.r_squared_log, expected["r_squared_log_centred"], 1e-8,
                    name + " centred R² of log L");
    expect_relative(law.diagnostics.r_squared_null, expected["r_squared_against_L0"], 1e-8,
                    name + " R² against L = L0");
  }
}

TEST(Ols, RefusesACollinearColumnByName) {
  Design design;
  design.names = {"a", "b", "twice a"};
  design.columns = {{1, 2, 3, 4, 5}, {1, 0, 1, 0, 2}, {2, 4, 6, 8, 10}};
  try {
    ols(design, {1, 2, 3, 4, 6});
    FAIL() << "accepted a collinear design";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("'twice a' is a linear combination"), std::string::npos)
        << e.what();
  }
}

TEST(Ols, RefusesNoMoreObservationsThanCoefficients) {
  Design design;
  design.names = {"a", "b"};
  design.columns = {{1, 2}, {3, 5}};
  EXPECT_THROW(ols(design, {1, 2}), Error);
}

TEST(Ols, FitsAnExactLineExactly) {
  Design design;
  design.names = {"intercept", "x"};
  design.has_intercept = true;
  design.columns = {{1, 1, 1, 1}, {0, 1, 2, 3}};
  const OlsFit fit = ols(design, {1, 3, 5, 7});
  EXPECT_NEAR(fit.coefficients[0].estimate, 1, 1e-14);
  EXPECT_NEAR(fit.coefficients[1].estimate, 2, 1e-14);
  EXPECT_NEAR(fit.r_squared, 1, 1e-14);
}

}  // namespace
}  // namespace claw::laws
