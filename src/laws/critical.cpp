#include "laws/critical.h"

#include <cmath>
#include <functional>

#include "core/error.h"

namespace claw::laws {
namespace {

// The ratios scanned: [0, kLastRatio] in kSteps, then the crossing is bisected to rounding.
constexpr double kLastRatio = 1 - 1e-6;
constexpr int kSteps = 2000;

// The first x in [0, last] at which `past(x)` holds, or unset.
std::optional<double> first_crossing(const std::function<bool(double)>& past,
                                     double last = kLastRatio) {
  if (past(0)) return 0.0;
  double previous = 0;
  for (int i = 1; i <= kSteps; ++i) {
    const double r = last * i / kSteps;
    if (!past(r)) {
      previous = r;
      continue;
    }
    double low = previous, high = r;
    for (int k = 0; k < 100 && high - low > 1e-15 * last; ++k) {
      const double middle = (low + high) / 2;
      (past(middle) ? high : low) = middle;
    }
    return high;
  }
  return std::nullopt;
}

std::string interval_text(const CriticalRatio& c) {
  return concat("95%: [", c.low ? concat(*c.low) : std::string("beyond 1"), ", ",
                c.high ? concat(*c.high) : std::string("beyond 1"), ")");
}

}  // namespace

CriticalRatio critical_ratio(const FittedLaw& law, const std::string& frontier, double sigma,
                             double base_value, std::optional<double> tokens) {
  CLAW_CHECK(std::isfinite(sigma) && sigma > 0 && sigma != 1,
             "σ must be positive and not 1 (above 1 for a loss, below 1 for an accuracy), got ",
             sigma);
  CLAW_CHECK(std::isfinite(base_value) && base_value > 0, "L0 must be positive, got ", base_value);
  CriticalRatio result;
  const LawPart& part = law.part_for(frontier);
  if (!part.warning.empty()) {
    result.meaning = "no critical ratio: " + part.warning;
    return result;
  }
  const double target = sigma * base_value;
  const bool rising = sigma > 1;
  auto at = [&](double r) { return predict(law, frontier, base_value, r, tokens); };
  auto beyond = [&](double value) { return rising ? value >= target : value <= target; };
  result.ratio = first_crossing([&](double r) { return beyond(at(r).estimate); });
  // The bound nearer the target reaches it first; the farther one last.
  result.low = first_crossing([&](double r) {
    const Interval i = at(r);
    return beyond(rising ? i.high : i.low);
  });
  result.high = first_crossing([&](double r) {
    const Interval i = at(r);
    return beyond(rising ? i.low : i.high);
  });
  const std::string aim = concat(sigma, " × L0 = ", target);
  const double at_zero = at(0).estimate;
  if (result.ratio && *result.ratio == 0) {
    result.ratio.reset();
    result.outcome = CriticalRatio::kPastAtZero;
    result.meaning = concat("the law already predicts ", at_zero, " at r = 0, past ", aim,
                            ": no ratio in [0, 1) stays within σ");
  } else if (result.ratio) {
    result.outcome = CriticalRatio::kReached;
    result.meaning = concat("the metric reaches ", aim, " at r = ", *result.ratio, " (",
                            interval_text(result), ")");
  } else {
    result.outcome = CriticalRatio::kNotReached;
    result.meaning =
        concat("no ratio in [0, 1) reaches ", aim, ": the law predicts ", at_zero, " at r = 0 and ",
               at(kLastRatio).estimate, " as r approaches 1 (", interval_text(result), ")");
  }
  return result;
}

std::optional<double> tokens_to_reach(const FittedLaw& law, const std::string& frontier,
                                      double base_value, double ratio, double target, bool falling,
                                      double max_tokens) {
  CLAW_CHECK(std::isfinite(max_tokens) && max_tokens > 0, "the largest D must be positive, got ",
             max_tokens);
  if (!law.part_for(frontier).warning.empty()) return std::nullopt;
  return first_crossing(
      [&](double tokens) {
        const double predicted = predict(law, frontier, base_value, ratio, tokens).estimate;
        return falling ? predicted <= target : predicted >= target;
      },
      max_tokens);
}

}  // namespace claw::laws
