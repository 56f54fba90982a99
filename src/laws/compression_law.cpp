#include "laws/compression_law.h"

#include <algorithm>
#include <cmath>
#include <set>

#include "core/error.h"

namespace claw::laws {
namespace {

constexpr const char* kIntercept = "intercept";
constexpr const char* kAlpha = "alpha (log L0)";
constexpr const char* kBeta = "beta (log(1+r))";
constexpr const char* kGamma = "gamma (log(1+1/(D+1)))";

double in_unit(double tokens, TokenUnit unit) {
  return unit == TokenUnit::kMillionTokens ? tokens / 1e6 : tokens;
}

void check_observation(const Observation& o) {
  CLAW_CHECK(std::isfinite(o.value) && o.value > 0, o.where(), ": the value ", o.value,
             " must be positive (the law is fitted on its log)");
  CLAW_CHECK(std::isfinite(o.base_value) && o.base_value > 0, o.where(), ": the base value ",
             o.base_value, " must be positive (the law is fitted on its log)");
  CLAW_CHECK(std::isfinite(o.ratio) && o.ratio >= 0 && o.ratio < 1, o.where(), ": the ratio ",
             o.ratio, " is outside [0, 1)");
  CLAW_CHECK(std::isfinite(o.tokens) && o.tokens >= 0, o.where(), ": the recovery tokens ",
             o.tokens, " must be >= 0");
}

template <typename Key>
std::size_t distinct(const std::vector<Observation>& observations, Key key) {
  std::set<double> values;
  for (const Observation& o : observations) values.insert(key(o));
  return values.size();
}

// The coefficient called `name`, or `fallback` when the law has none.
double coefficient(const OlsFit& fit, const char* name, double fallback) {
  for (const Coefficient& c : fit.coefficients) {
    if (c.name == name) return c.estimate;
  }
  return fallback;
}

// The regressors of one observation in the law's order.
std::vector<double> regressors(const CompressionLaw& law, double base_value, double ratio,
                               std::optional<double> tokens) {
  std::vector<double> x;
  if (law.options.intercept) x.push_back(1);
  x.push_back(std::log(base_value));
  x.push_back(std::log1p(ratio));
  if (law.has_recovery_term) x.push_back(law.recovery_term(tokens));
  return x;
}

}  // namespace

const char* token_unit_name(TokenUnit unit) {
  return unit == TokenUnit::kMillionTokens ? "mtokens" : "tokens";
}

TokenUnit parse_token_unit(const std::string& text) {
  if (text == "mtokens") return TokenUnit::kMillionTokens;
  if (text == "tokens") return TokenUnit::kTokens;
  CLAW_FAIL("--d-unit must be tokens or mtokens, got '", text, "'");
}

double CompressionLaw::intercept() const {
  return coefficient(fit, kIntercept, 0);
}
double CompressionLaw::alpha() const {
  return coefficient(fit, kAlpha, 0);
}
double CompressionLaw::beta() const {
  return coefficient(fit, kBeta, 0);
}
double CompressionLaw::gamma() const {
  return coefficient(fit, kGamma, 0);
}

double CompressionLaw::recovery_term(std::optional<double> tokens) const {
  if (!tokens) return 0;
  return std::log1p(1 / (in_unit(*tokens, options.unit) + 1));
}

CompressionLaw fit_compression_law(const std::vector<Observation>& observations,
                                   const LawOptions& options) {
  CLAW_CHECK(!observations.empty(), "no observations to fit the law to");
  for (const Observation& o : observations) check_observation(o);
  CompressionLaw law;
  law.options = options;
  CLAW_CHECK(distinct(observations, [](const Observation& o) { return o.ratio; }) > 1,
             "every observation has the ratio ", observations.front().ratio,
             ", so β cannot be identified; add observations at other ratios");
  if (options.intercept) {
    CLAW_CHECK(distinct(observations, [](const Observation& o) { return o.base_value; }) > 1,
               "every observation has the same base value L0 = ", observations.front().base_value,
               ", so α and the intercept cannot both be identified; fit without --intercept or "
               "add another model or dataset");
  }
  if (distinct(observations, [](const Observation& o) { return o.tokens; }) == 1) {
    law.has_recovery_term = false;
    law.notes.push_back(concat("every observation has D = ", observations.front().tokens,
                               " recovery tokens, so γ cannot be identified; the law was fitted "
                               "without its recovery term"));
  }

  Design design;
  design.has_intercept = options.intercept;
  std::vector<double> response;
  auto add_column = [&](const char* name) {
    design.names.push_back(name);
    design.columns.emplace_back();
  };
  if (options.intercept) add_column(kIntercept);
  add_column(kAlpha);
  add_column(kBeta);
  if (law.has_recovery_term) add_column(kGamma);
  for (const Observation& o : observations) {
    const std::vector<double> x = regressors(law, o.base_value, o.ratio, o.tokens);
    for (std::size_t j = 0; j < x.size(); ++j) design.columns[j].push_back(x[j]);
    response.push_back(std::log(o.value));
  }
  law.fit = ols(design, response);
  return law;
}

Interval predict(const CompressionLaw& law, double base_value, double ratio,
                 std::optional<double> tokens) {
  CLAW_CHECK(std::isfinite(base_value) && base_value > 0, "L0 must be positive, got ", base_value);
  CLAW_CHECK(std::isfinite(ratio) && ratio >= 0 && ratio < 1, "the ratio ", ratio,
             " is outside [0, 1)");
  CLAW_CHECK(!tokens || (std::isfinite(*tokens) && *tokens >= 0),
             "the recovery tokens must be >= 0, got ", tokens.value_or(0));
  const Interval log_scale =
      prediction_interval(law.fit, regressors(law, base_value, ratio, tokens));
  return {std::exp(log_scale.estimate), std::exp(log_scale.low), std::exp(log_scale.high)};
}

CriticalRatio critical_ratio(const CompressionLaw& law, double sigma, double base_value,
                             std::optional<double> tokens) {
  CLAW_CHECK(std::isfinite(sigma) && sigma > 0, "σ must be positive, got ", sigma);
  CLAW_CHECK(std::isfinite(base_value) && base_value > 0, "L0 must be positive, got ", base_value);
  const double beta = law.beta();
  CLAW_CHECK(beta != 0, "the law's β is 0: the metric does not change with the ratio");
  // log σ·L0 = c + α log L0 + β log(1+r) + γ·term, solved for r.
  const double log_one_plus_r = (std::log(sigma) + (1 - law.alpha()) * std::log(base_value) -
                                 law.intercept() - law.gamma() * law.recovery_term(tokens)) /
                                beta;
  CriticalRatio result;
  result.ratio = std::expm1(log_one_plus_r);
  result.in_range = result.ratio >= 0 && result.ratio < 1;
  const double at_zero = predict(law, base_value, 0, tokens).estimate;
  const double at_one = std::exp(std::log(at_zero) + beta * std::log(2.0));
  if (result.in_range) {
    result.meaning = concat("the metric reaches ", sigma, " × L0 = ", sigma * base_value,
                            " at r = ", result.ratio);
  } else if (result.ratio < 0) {
    result.meaning = concat("the law already predicts ", at_zero, " at r = 0, past ", sigma,
                            " × L0 = ", sigma * base_value, ": no ratio in [0, 1) stays within σ");
  } else {
    result.meaning =
        concat("no ratio in [0, 1) reaches ", sigma, " × L0 = ", sigma * base_value,
               ": the law predicts ", at_zero, " at r = 0 and ", at_one, " as r approaches 1");
  }
  return result;
}

Json CompressionLaw::json() const {
  Json j = {{"form", "L = L0^alpha * (1+r)^beta * (1+1/(D+1))^gamma"},
            {"intercept", options.intercept},
            {"d_unit", token_unit_name(options.unit)},
            {"recovery_term", has_recovery_term},
            {"alpha", alpha()},
            {"beta", beta()},
            {"gamma", gamma()},
            {"fit", fit.json()},
            {"notes", notes}};
  if (options.intercept) j["c"] = intercept();
  return j;
}

CompressionLaw CompressionLaw::from_json(const Json& j, const std::string& source) {
  CompressionLaw law;
  law.options.intercept = json_required<bool>(j, "intercept", source);
  law.options.unit = parse_token_unit(json_required<std::string>(j, "d_unit", source));
  law.has_recovery_term = json_required<bool>(j, "recovery_term", source);
  CLAW_CHECK(j.contains("fit"), source, ": missing required key 'fit'");
  law.fit = OlsFit::from_json(j["fit"], source);
  const std::size_t expected =
      (law.options.intercept ? 1 : 0) + 2 + (law.has_recovery_term ? 1 : 0);
  CLAW_CHECK(law.fit.coefficients.size() == expected, source, ": a law with these settings has ",
             expected, " coefficients, the file ", law.fit.coefficients.size());
  law.notes = json_optional<std::vector<std::string>>(j, "notes", {}, source);
  return law;
}

RatioPowerLaw fit_ratio_power_law(const std::vector<Observation>& observations) {
  Design design;
  design.has_intercept = true;
  design.names = {"log P0", "alpha (log(1-r))"};
  design.columns.resize(2);
  std::vector<double> response;
  for (const Observation& o : observations) {
    check_observation(o);
    design.columns[0].push_back(1);
    design.columns[1].push_back(std::log1p(-o.ratio));
    response.push_back(std::log(o.value / o.base_value));
  }
  RatioPowerLaw law;
  law.fit = ols(design, response);
  law.p0 = std::exp(law.fit.coefficients[0].estimate);
  law.alpha = law.fit.coefficients[1].estimate;
  return law;
}

Json RatioPowerLaw::json() const {
  return {{"form", "L = L0 * P0 * (1-r)^alpha"}, {"P0", p0}, {"alpha", alpha}, {"fit", fit.json()}};
}

}  // namespace claw::laws
