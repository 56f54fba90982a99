// Ordinary least squares with the statistics statsmodels' OLS reports, solved by Householder QR
// in double precision.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/json.h"

namespace claw::laws {

// The regressors, one column per coefficient.
struct Design {
  std::vector<std::string> names;
  std::vector<std::vector<double>> columns;  // each as long as the response
  // Whether one column is the constant 1. As in statsmodels, R² and F are then centred (around
  // the response's mean) and otherwise uncentred (around 0).
  bool has_intercept = false;
};

struct Coefficient {
  std::string name;
  double estimate, std_error, t, p_value;
  double ci_low, ci_high;  // the 95% confidence interval
};

struct OlsFit {
  std::vector<Coefficient> coefficients;
  std::int64_t observations = 0, df_model = 0, df_resid = 0;
  bool centered = false;
  double r_squared = 0, adj_r_squared = 0;
  // F is NaN when the model has no regressor besides a constant, ∞ for an exact fit.
  double f_value = 0, f_p_value = 0;
  double rss = 0;
  double residual_std_error = 0;  // √(RSS / df_resid)
  // (XᵀX)⁻¹, which scaled by the residual variance is the coefficients' covariance.
  std::vector<std::vector<double>> covariance_unscaled;

  Json json() const;
  static OlsFit from_json(const Json& json, const std::string& source);
};

// An error when there are no more observations than coefficients, or when a column is (to
// rounding) a linear combination of the others, naming it.
OlsFit ols(const Design& design, const std::vector<double>& response);

// x·β for a new row `x`, and the interval that holds a new observation there with probability
// `level`: x·β ± t · s · √(1 + x (XᵀX)⁻¹ xᵀ).
struct Interval {
  double estimate, low, high;
};
Interval prediction_interval(const OlsFit& fit, const std::vector<double>& x, double level = 0.95);
// The interval that holds x·β itself, the mean at `x` (or a contrast between two rows when `x` is
// their difference), with probability `level`: x·β ± t · s · √(x (XᵀX)⁻¹ xᵀ).
Interval confidence_interval(const OlsFit& fit, const std::vector<double>& x, double level = 0.95);

}  // namespace claw::laws
