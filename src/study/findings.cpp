#include "study/findings.h"

#include <algorithm>
#include <cmath>
#include <optional>

#include "core/error.h"
#include "core/format.h"
#include "study/objective_comparison.h"
#include "study/study_laws.h"

namespace claw::study {
namespace {

// The paper's figures (arXiv 2504.04342v1, abstract and conclusions).
constexpr double kPaperRecoveryGainPercent = 55;
constexpr double kPaperSmallModelSpeedGain = 0.35;  // ≤ 7B parameters: "peaks at 35%"
constexpr double kPaperLargeModelSpeedGain = 0.60;  // the largest (14B): "~60% faster"
constexpr double kSmallModelParameters = 7.5e9;

std::string interval(double low, double high, int digits = 3) {
  return "[" + significant(low, digits) + ", " + significant(high, digits) + "]";
}

// Percentages and points with two decimals, so that a difference of 1e-15 reads 0.00.
std::string amount(double x) {
  return fixed(x, 2);
}

// Where a value with a 95% interval stands against zero.
const char* sign_verdict(double low, double high, bool positive_agrees) {
  if (low > 0) return positive_agrees ? kAgrees : kDisagrees;
  if (high < 0) return positive_agrees ? kDisagrees : kAgrees;
  return kCannotTell;
}

// The smallest recovery budget the study has: D = 0 when it measured unrecovered models.
std::int64_t first_budget(const StudyResults& r) {
  return r.budgets.front();
}

void curvature_findings(const StudyResults& results, std::vector<Finding>& out) {
  const std::int64_t d = first_budget(results);
  for (const MetricName& metric : results.law_metric_names()) {
    const bool loss = metric.lower_is_better();
    const ExperimentResult* base = results.base_with(metric);
    for (const std::string& method : results.methods) {
      Finding f;
      f.topic = concat(metric.text(), ", ", method, ", D = ", d);
      f.paper =
          loss ? "the loss rises quadratically with r" : "the accuracy falls only linearly with r";
      std::vector<std::pair<double, double>> points;
      for (const double r : results.ratios) {
        const double v = results.value(method, r, d, metric);
        if (std::isfinite(v)) points.emplace_back(r, v);
      }
      if (!loss && base != nullptr && at_chance(*base, metric)) {
        f.here = "the uncompressed model is not above chance on it";
        f.verdict = kCannotTell;
      } else if (points.size() < 4) {
        f.here = concat(points.size(), " ratios measured; a quadratic's interval needs 4");
        f.verdict = kCannotTell;
      } else {
        const CurvatureTest t = test_curvature(points);
        const char* shape = t.shape == Curvature::kLinear ? "linear"
                            : t.shape == Curvature::kCannotTell
                                ? "cannot tell linear from quadratic"
                            : t.quadratic.estimate > 0 ? "quadratic, bending up"
                                                       : "quadratic, bending down";
        f.here =
            concat("r² coefficient ", significant(t.quadratic.estimate, 3), " ",
                   interval(t.quadratic.ci_low, t.quadratic.ci_high), ", bending the curve by ≤ ",
                   significant(100 * t.bend_share, 3), "% of its change: ", shape);
        if (t.shape == Curvature::kCannotTell) {
          f.verdict = kCannotTell;
        } else if (loss) {
          f.verdict =
              t.shape == Curvature::kQuadratic && t.quadratic.estimate > 0 ? kAgrees : kDisagrees;
        } else {
          f.verdict = t.shape == Curvature::kLinear ? kAgrees : kDisagrees;
        }
      }
      out.push_back(std::move(f));
    }
  }
}

// 1 − after/before, with the delta method's standard error for independent measurements.
MeasuredValue relative_gain(const MeasuredValue& before, const MeasuredValue& after) {
  MeasuredValue g{1 - after.value / before.value, std::nullopt};
  if (before.standard_error && after.standard_error) {
    const double a = *before.standard_error / before.value, b = *after.standard_error / after.value;
    g.standard_error = after.value / before.value * std::sqrt(a * a + b * b);
  }
  return g;
}

void recovery_gain_findings(const StudyResults& results, std::vector<Finding>& out) {
  if (results.budgets.size() < 2) return;
  const std::int64_t before_d = first_budget(results), after_d = results.budgets.back();
  for (const MetricName& metric : results.law_metric_names()) {
    if (metric.kind != MetricKind::kLoss) continue;
    MeasuredValue best{NAN, std::nullopt};
    std::string where;
    for (const std::string& method : results.methods) {
      for (const double r : results.ratios) {
        const auto before = results.measured(method, r, before_d, metric);
        const auto after = results.measured(method, r, after_d, metric);
        if (!before || !after) continue;
        const MeasuredValue g = relative_gain(*before, *after);
        if (!(g.value <= best.value)) {
          best = g;
          where = concat(method, " at r = ", r);
        }
      }
    }
    if (!std::isfinite(best.value)) continue;
    Finding f;
    f.topic =
        concat("largest recovery gain in ", metric.text(), " (D = ", before_d, " → ", after_d, ")");
    f.paper = concat("recovery lowers the loss by up to ", kPaperRecoveryGainPercent,
                     "% (with up to 25M tokens)");
    const double gain = 100 * best.value;
    if (!best.standard_error) {
      f.here = concat(significant(gain, 3), "% (", where,
                      "); the store has no standard errors of the loss");
      f.verdict = kCannotTell;
    } else {
      const double low = gain - 100 * kZ95 * *best.standard_error;
      const double high = gain + 100 * kZ95 * *best.standard_error;
      f.here = concat(significant(gain, 3), "% ", interval(low, high), " (", where,
                      "; the largest of many, so biased upwards)");
      f.verdict = low <= kPaperRecoveryGainPercent && kPaperRecoveryGainPercent <= high
                      ? kAgrees
                      : kDisagrees;
    }
    out.push_back(std::move(f));
  }
}

// The mean of `quantity` over the family's methods and the ratios, with its standard error.
template <typename Quantity>
std::optional<MeasuredValue> family_mean(const StudyResults& results, const std::string& family,
                                         Quantity quantity) {
  std::vector<MeasuredValue> values;
  for (const std::string& method : results.methods) {
    if (method_family(method) != family) continue;
    for (const double r : results.ratios) {
      if (const std::optional<MeasuredValue> v = quantity(method, r)) values.push_back(*v);
    }
  }
  return mean_of(values);
}

// Calibration-free minus calibration-based (or the reverse), as a finding row.
template <typename Quantity>
void family_difference(const StudyResults& results, const std::string& topic,
                       const std::string& paper, const std::string& first,
                       const std::string& second, const char* unit, double scale, Quantity quantity,
                       std::vector<Finding>& out) {
  const auto a = family_mean(results, first, quantity);
  const auto b = family_mean(results, second, quantity);
  if (!a || !b) return;
  Finding f;
  f.topic = topic;
  f.paper = paper;
  const double difference = scale * (a->value - b->value);
  const std::string means = concat(first, " ", amount(scale * a->value), unit, ", ", second, " ",
                                   amount(scale * b->value), unit);
  if (!a->standard_error || !b->standard_error) {
    f.here = means + "; no standard errors to tell them apart";
    f.verdict = kCannotTell;
  } else {
    const double se = scale * std::hypot(*a->standard_error, *b->standard_error);
    const double low = difference - kZ95 * se, high = difference + kZ95 * se;
    f.here = concat(means, "; difference ", amount(difference), unit, " [", amount(low), ", ",
                    amount(high), "] (at equal r, which is not equal size)");
    f.verdict = sign_verdict(low, high, /*positive_agrees=*/true);
  }
  out.push_back(std::move(f));
}

void family_findings(const StudyResults& results, std::vector<Finding>& out) {
  const std::int64_t before_d = first_budget(results), after_d = results.budgets.back();
  for (const MetricName& metric : results.law_metric_names()) {
    const bool loss = metric.lower_is_better();
    const ExperimentResult* base = results.base_with(metric);
    if (base == nullptr) continue;
    if (loss) {
      // Intrinsic stability: the loss's rise without recovery, relative to L0.
      const double l0 = base->metric(metric)->value;
      family_difference(
          results, concat("intrinsic stability: ", metric.text(), " rise at D = ", before_d),
          "calibration-based methods are more stable intrinsically", "calibration-free",
          "calibration-based", "%", 100,
          [&](const std::string& method, double r) -> std::optional<MeasuredValue> {
            const auto v = results.measured(method, r, before_d, metric);
            if (!v) return std::nullopt;
            MeasuredValue g{v->value / l0 - 1, std::nullopt};
            if (v->standard_error) g.standard_error = *v->standard_error / l0;
            return g;
          },
          out);
    } else if (results.budgets.size() > 1 && !at_chance(*base, metric)) {
      // Extrinsic recovery: the accuracy regained by the largest budget.
      family_difference(
          results,
          concat("extrinsic recovery: ", metric.text(), " regained, D = ", before_d, " → ",
                 after_d),
          "calibration-free methods recover more extrinsically", "calibration-free",
          "calibration-based", " points", 100,
          [&](const std::string& method, double r) -> std::optional<MeasuredValue> {
            const auto before = results.measured(method, r, before_d, metric);
            const auto after = results.measured(method, r, after_d, metric);
            if (!before || !after) return std::nullopt;
            MeasuredValue g{after->value - before->value, std::nullopt};
            if (before->standard_error && after->standard_error) {
              g.standard_error = std::hypot(*before->standard_error, *after->standard_error);
            }
            return g;
          },
          out);
    }
  }
}

void speed_findings(const StudyResults& results, std::vector<Finding>& out) {
  // The paper's speeds are an engine's; each engine the study measured is compared apart.
  for (const auto& [engine, experiments] : results.speed_by_engine()) {
    for (const char* phase : {"prefill", "decode"}) {
      // The largest median speedup over the ratios, with the range of its repetitions.
      double best = -1, low = NAN, high = NAN, parameters = NAN;
      std::string where;
      for (const ExperimentResult* e : experiments) {
        const Json& record = e->record;
        if (!record.contains("speed")) continue;
        parameters = record["compression"]["parameters"]["before"]["total"].get<double>();
        for (const Json& s : record["speed"]["settings"]) {
          const Json& measured = s["speedup"][phase]["measured"];
          const double median = measured["median"].get<double>();
          if (median <= best) continue;
          best = median;
          low = measured["min"].get<double>();
          high = measured["max"].get<double>();
          where = concat(e->method, " at r = ", e->ratio, ", batch ", s["batch"], ", prefill ",
                         s["prefill"]);
        }
      }
      if (best < 0) continue;
      const bool small = parameters <= kSmallModelParameters;
      const double claim = small ? kPaperSmallModelSpeedGain : kPaperLargeModelSpeedGain;
      Finding f;
      f.topic = concat("largest ", phase, " speedup in ", engine, " (",
                       significant(parameters / 1e9, 3), "B-parameter shapes)");
      f.paper = small ? "for models up to 7B the speed gain (speedup − 1) peaks at 35%"
                      : "compressed large models run about 60% faster (speedup − 1)";
      f.here = concat("+", significant(100 * (best - 1), 3), "% (", significant(best, 3),
                      "×, range over repetitions ", interval(low, high), "; ", where, ")");
      if (small) {
        f.verdict = high - 1 <= claim ? kAgrees : low - 1 > claim ? kDisagrees : kCannotTell;
      } else {
        f.verdict = low - 1 <= claim && claim <= high - 1 ? kAgrees : kDisagrees;
      }
      out.push_back(std::move(f));
    }
  }
}

// Distillation against next-token recovery, pooled over every model, method, r and D > 0 that
// both recovered: the mean loss the distilled models save, which Minitron's recipe says is > 0.
void distillation_findings(const StudyResults& results, std::vector<Finding>& out) {
  const std::vector<ObjectiveComparison> comparisons = compare_objectives(results);
  for (const MetricName& metric : results.law_metric_names()) {
    if (metric.kind != MetricKind::kLoss) continue;
    std::vector<MeasuredValue> gains;
    // Every setting's span losses at once: the documents are the independent units, and they
    // are the same documents in every setting.
    std::vector<std::pair<const SpanLosses*, const SpanLosses*>> pairs;
    bool paired = true;
    for (const ObjectiveComparison& c : comparisons) {
      if (c.metric != metric) continue;
      gains.push_back({c.gain(), c.standard_error});
      paired = paired && c.paired;
      // Distilled first: the difference is next-token minus distilled, the loss saved.
      for (const auto& [next_token, distilled] : c.span_pairs) {
        pairs.emplace_back(&distilled, &next_token);
      }
    }
    std::optional<MeasuredValue> mean = mean_of(gains);
    if (!mean) continue;
    const std::optional<PairedDifference> by_document =
        paired ? paired_difference(pairs) : std::nullopt;
    if (by_document) mean = MeasuredValue{by_document->value, by_document->standard_error};
    Finding f;
    f.topic = concat(metric.text(), ", ", gains.size(), " (method, r, D > 0) both recovered");
    f.claimed_by = kDistillationClaimedBy;
    f.paper = kDistillationClaim;
    const std::string saved =
        concat("next-token minus distilled loss, averaged: ", significant(mean->value, 3), " nats",
               by_document ? concat(" (paired over ", by_document->spans, " documents or windows)")
                           : std::string(" (the settings' differences taken as independent)"));
    if (!mean->standard_error) {
      f.here = saved + "; the store has no standard errors of the loss";
      f.verdict = kCannotTell;
    } else {
      const double low = mean->value - kZ95 * *mean->standard_error;
      const double high = mean->value + kZ95 * *mean->standard_error;
      f.here = concat(saved, " ", interval(low, high));
      f.verdict = sign_verdict(low, high, true);
    }
    out.push_back(std::move(f));
  }
}

}  // namespace

CurvatureTest test_curvature(const std::vector<std::pair<double, double>>& points) {
  CLAW_CHECK(points.size() >= 4, "a quadratic's interval needs 4 points, got ", points.size());
  laws::Design design;
  design.names = {"a", "b", "c"};
  design.has_intercept = true;
  design.columns.assign(3, {});
  std::vector<double> y;
  double low = INFINITY, high = -INFINITY;
  for (const auto& [r, v] : points) {
    design.columns[0].push_back(1);
    design.columns[1].push_back(r);
    design.columns[2].push_back(r * r);
    y.push_back(v);
    low = std::min(low, r);
    high = std::max(high, r);
  }
  const laws::OlsFit fit = laws::ols(design, y);
  CurvatureTest t;
  t.quadratic = fit.coefficients[2];
  const auto at = [&](double r) {
    return fit.coefficients[0].estimate + fit.coefficients[1].estimate * r +
           t.quadratic.estimate * r * r;
  };
  const double change = std::fabs(at(high) - at(low));
  const double farthest = std::max(std::fabs(t.quadratic.ci_low), std::fabs(t.quadratic.ci_high));
  t.bend_share = farthest * (high - low) * (high - low) / 4 / change;
  if (t.quadratic.ci_low > 0 || t.quadratic.ci_high < 0) {
    t.shape = Curvature::kQuadratic;
  } else if (t.bend_share <= kLinearShare) {
    t.shape = Curvature::kLinear;
  } else {
    t.shape = Curvature::kCannotTell;
  }
  return t;
}

std::vector<Finding> paper_findings(const StudyResults& results) {
  std::vector<Finding> out;
  if (!results.compressed.empty()) {
    curvature_findings(results, out);
    recovery_gain_findings(results, out);
    family_findings(results, out);
    distillation_findings(results, out);
  }
  speed_findings(results, out);
  return out;
}

}  // namespace claw::study
