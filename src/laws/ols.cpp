#include "laws/ols.h"

#include <boost/math/distributions/fisher_f.hpp>
#include <boost/math/distributions/students_t.hpp>

#include <cmath>
#include <limits>

#include "core/error.h"

namespace claw::laws {
namespace {

using Matrix = std::vector<std::vector<double>>;  // row-major

// A column is taken as dependent on the earlier ones when what QR leaves of it is this small a
// fraction of its norm.
constexpr double kCollinearity = 1e-10;

// Two-sided quantile of Student's t with `df` degrees of freedom at `level` coverage.
double t_quantile(double level, std::int64_t df) {
  const boost::math::students_t t(static_cast<double>(df));
  return boost::math::quantile(boost::math::complement(t, (1 - level) / 2));
}

}  // namespace

OlsFit ols(const Design& design, const std::vector<double>& y) {
  const std::size_t p = design.columns.size(), n = y.size();
  CLAW_CHECK(design.names.size() == p, "ols: ", design.names.size(), " names for ", p, " columns");
  for (const auto& column : design.columns) {
    CLAW_CHECK(column.size() == n, "ols: a column of ", column.size(), " rows for ", n,
               " responses");
  }
  CLAW_CHECK(n > p, "fitting ", p, " coefficients needs more than ", p, " observations, got ", n);

  // Householder QR of X in place (a holds X column by column), applying each reflection to y.
  Matrix a = design.columns;
  std::vector<double> qty = y;
  for (std::size_t j = 0; j < p; ++j) {
    double column_norm = 0, norm = 0;
    for (std::size_t i = 0; i < n; ++i) column_norm += design.columns[j][i] * design.columns[j][i];
    for (std::size_t i = j; i < n; ++i) norm += a[j][i] * a[j][i];
    norm = std::sqrt(norm);
    CLAW_CHECK(norm > kCollinearity * std::sqrt(column_norm) && norm > 0, "the column '",
               design.names[j],
               "' is a linear combination of the ones before it (or constant zero), so its "
               "coefficient cannot be identified");
    const double alpha = a[j][j] > 0 ? -norm : norm;
    std::vector<double> v(a[j].begin() + static_cast<std::ptrdiff_t>(j), a[j].end());
    v[0] -= alpha;
    double v_norm2 = 0;
    for (const double e : v) v_norm2 += e * e;
    auto reflect = [&](std::vector<double>& target) {
      double dot = 0;
      for (std::size_t i = j; i < n; ++i) dot += v[i - j] * target[i];
      const double scale = 2 * dot / v_norm2;
      for (std::size_t i = j; i < n; ++i) target[i] -= scale * v[i - j];
    };
    for (std::size_t k = j; k < p; ++k) reflect(a[k]);
    reflect(qty);
  }
  // R is upper triangular: R[i][j] = a[j][i] for i <= j.
  auto r = [&](std::size_t i, std::size_t j) { return a[j][i]; };

  std::vector<double> beta(p);
  for (std::size_t i = p; i-- > 0;) {
    double sum = qty[i];
    for (std::size_t j = i + 1; j < p; ++j) sum -= r(i, j) * beta[j];
    beta[i] = sum / r(i, i);
  }
  // (XᵀX)⁻¹ = R⁻¹ R⁻ᵀ.
  Matrix r_inverse(p, std::vector<double>(p, 0));
  for (std::size_t col = 0; col < p; ++col) {
    for (std::size_t i = col + 1; i-- > 0;) {
      double sum = i == col ? 1 : 0;
      for (std::size_t j = i + 1; j <= col; ++j) sum -= r(i, j) * r_inverse[j][col];
      r_inverse[i][col] = sum / r(i, i);
    }
  }
  OlsFit fit;
  fit.covariance_unscaled.assign(p, std::vector<double>(p, 0));
  for (std::size_t i = 0; i < p; ++i) {
    for (std::size_t j = 0; j < p; ++j) {
      for (std::size_t k = std::max(i, j); k < p; ++k) {
        fit.covariance_unscaled[i][j] += r_inverse[i][k] * r_inverse[j][k];
      }
    }
  }

  double rss = 0, mean = 0, total = 0;
  for (std::size_t i = 0; i < n; ++i) mean += y[i] / static_cast<double>(n);
  for (std::size_t i = 0; i < n; ++i) {
    double fitted = 0;
    for (std::size_t j = 0; j < p; ++j) fitted += design.columns[j][i] * beta[j];
    rss += (y[i] - fitted) * (y[i] - fitted);
    const double centre = design.has_intercept ? mean : 0;
    total += (y[i] - centre) * (y[i] - centre);
  }

  const std::int64_t k_constant = design.has_intercept ? 1 : 0;
  fit.observations = static_cast<std::int64_t>(n);
  fit.df_resid = static_cast<std::int64_t>(n - p);
  fit.df_model = static_cast<std::int64_t>(p) - k_constant;
  fit.centered = design.has_intercept;
  fit.rss = rss;
  fit.r_squared = 1 - rss / total;
  fit.adj_r_squared = 1 - static_cast<double>(fit.observations - k_constant) /
                              static_cast<double>(fit.df_resid) * (1 - fit.r_squared);
  const double residual_variance = rss / static_cast<double>(fit.df_resid);
  fit.residual_std_error = std::sqrt(residual_variance);
  fit.f_value = fit.f_p_value = std::numeric_limits<double>::quiet_NaN();
  if (fit.df_model > 0) {
    fit.f_value = (total - rss) / static_cast<double>(fit.df_model) / residual_variance;
    const boost::math::fisher_f f(static_cast<double>(fit.df_model),
                                  static_cast<double>(fit.df_resid));
    // An exact fit has F = ∞, which no distribution function takes.
    fit.f_p_value = std::isfinite(fit.f_value)
                        ? boost::math::cdf(boost::math::complement(f, std::max(0.0, fit.f_value)))
                        : 0;
  }

  const boost::math::students_t t(static_cast<double>(fit.df_resid));
  const double quantile = t_quantile(0.95, fit.df_resid);
  for (std::size_t j = 0; j < p; ++j) {
    Coefficient c;
    c.name = design.names[j];
    c.estimate = beta[j];
    c.std_error = std::sqrt(residual_variance * fit.covariance_unscaled[j][j]);
    c.t = c.estimate / c.std_error;
    c.p_value = 2 * boost::math::cdf(boost::math::complement(t, std::fabs(c.t)));
    c.ci_low = c.estimate - quantile * c.std_error;
    c.ci_high = c.estimate + quantile * c.std_error;
    fit.coefficients.push_back(c);
  }
  return fit;
}

namespace {

// x·β ± t · s · √(extra + x (XᵀX)⁻¹ xᵀ): extra is 1 for a new observation, 0 for the mean.
Interval interval_at(const OlsFit& fit, const std::vector<double>& x, double level, double extra) {
  const std::size_t p = fit.coefficients.size();
  CLAW_CHECK(x.size() == p, "a prediction needs ", p, " regressors, got ", x.size());
  double estimate = 0, leverage = 0;
  for (std::size_t i = 0; i < p; ++i) {
    estimate += x[i] * fit.coefficients[i].estimate;
    for (std::size_t j = 0; j < p; ++j) leverage += x[i] * fit.covariance_unscaled[i][j] * x[j];
  }
  const double half_width =
      t_quantile(level, fit.df_resid) * fit.residual_std_error * std::sqrt(extra + leverage);
  return {estimate, estimate - half_width, estimate + half_width};
}

}  // namespace

Interval prediction_interval(const OlsFit& fit, const std::vector<double>& x, double level) {
  return interval_at(fit, x, level, 1);
}

Interval confidence_interval(const OlsFit& fit, const std::vector<double>& x, double level) {
  return interval_at(fit, x, level, 0);
}

namespace {

// JSON has no NaN; null stands for it.
Json number(double x) {
  return std::isnan(x) ? Json(nullptr) : Json(x);
}
double number_from(const Json& j) {
  return j.is_null() ? std::numeric_limits<double>::quiet_NaN() : j.get<double>();
}

}  // namespace

Json OlsFit::json() const {
  Json coefficients_json = Json::array();
  for (const Coefficient& c : coefficients) {
    coefficients_json.push_back({{"name", c.name},
                                 {"estimate", c.estimate},
                                 {"std_error", c.std_error},
                                 {"t", c.t},
                                 {"p_value", c.p_value},
                                 {"ci95", {c.ci_low, c.ci_high}}});
  }
  return {{"coefficients", coefficients_json},
          {"observations", observations},
          {"df_model", df_model},
          {"df_resid", df_resid},
          {"r_squared_kind", centered ? "centered" : "uncentered"},
          {"r_squared", r_squared},
          {"adj_r_squared", adj_r_squared},
          {"f_value", number(f_value)},
          {"f_p_value", number(f_p_value)},
          {"rss", rss},
          {"residual_std_error", residual_std_error},
          {"covariance_unscaled", covariance_unscaled}};
}

OlsFit OlsFit::from_json(const Json& j, const std::string& source) {
  OlsFit fit;
  try {
    for (const Json& c : j.at("coefficients")) {
      fit.coefficients.push_back({c.at("name").get<std::string>(), c.at("estimate").get<double>(),
                                  c.at("std_error").get<double>(), c.at("t").get<double>(),
                                  c.at("p_value").get<double>(), c.at("ci95").at(0).get<double>(),
                                  c.at("ci95").at(1).get<double>()});
    }
    fit.observations = j.at("observations").get<std::int64_t>();
    fit.df_model = j.at("df_model").get<std::int64_t>();
    fit.df_resid = j.at("df_resid").get<std::int64_t>();
    fit.centered = j.at("r_squared_kind").get<std::string>() == "centered";
    fit.r_squared = j.at("r_squared").get<double>();
    fit.adj_r_squared = j.at("adj_r_squared").get<double>();
    fit.f_value = number_from(j.at("f_value"));
    fit.f_p_value = number_from(j.at("f_p_value"));
    fit.rss = j.at("rss").get<double>();
    fit.residual_std_error = j.at("residual_std_error").get<double>();
    fit.covariance_unscaled = j.at("covariance_unscaled").get<std::vector<std::vector<double>>>();
  } catch (const Json::exception& e) {
    CLAW_FAIL(source, ": not a fit claw wrote (", e.what(), ")");
  }
  const std::size_t p = fit.coefficients.size();
  CLAW_CHECK(p > 0 && fit.covariance_unscaled.size() == p && fit.df_resid > 0, source,
             ": the fit's coefficients and covariance do not match");
  for (const auto& row : fit.covariance_unscaled) {
    CLAW_CHECK(row.size() == p, source, ": the fit's covariance is not square");
  }
  return fit;
}

}  // namespace claw::laws
