#include "compress/parameter_target.h"

#include <cmath>
#include <optional>

#include "core/error.h"
#include "core/format.h"
#include "core/option_table.h"

namespace claw::compress {
namespace {

// Ratios closer than this are one ratio: finer than any method's structural step.
constexpr double kRatioResolution = 1e-9;
// The largest ratio tried: every method's ratio lies in [0, 1).
constexpr double kLargestRatio = 1 - 1e-9;

}  // namespace

ParameterTarget ratio_for_parameters(const MethodInfo& method, const model::ModelConfig& config,
                                     const Json& options, double fraction) {
  if (!(fraction > 0 && fraction < 1)) {
    throw OptionError("target_params", concat("must lie in (0, 1), not ", fraction));
  }
  const Json complete = method.options.complete(options);
  // The fraction removed at r, or nothing where the ratio leaves the model without a unit.
  const auto removed = [&](double r) -> std::optional<double> {
    try {
      return method.removed_fraction(config, r, complete);
    } catch (const Error&) {
      return std::nullopt;
    }
  };
  // A method that cannot compress this model at all says why in its own words.
  if (!removed(0)) method.removed_fraction(config, 0, complete);
  // The largest usable ratio: removed() is defined on [0, usable].
  double usable = 0, unusable = kLargestRatio;
  if (removed(unusable)) {
    usable = unusable;
  } else {
    while (unusable - usable > kRatioResolution) {
      const double mid = (usable + unusable) / 2;
      (removed(mid) ? usable : unusable) = mid;
    }
  }
  const double most = *removed(usable);
  CLAW_CHECK(fraction <= most, method.name, " removes at most ", significant(100 * most, 3),
             "% of the non-embedding parameters of this model (at r = ", significant(usable, 4),
             "); a target of ", significant(100 * fraction, 3), "% is beyond it");
  // The removed fraction rises in steps with r: find the first step at or above the target,
  // then take it or the step below, whichever is nearer.
  double below = 0, above = usable;
  while (above - below > kRatioResolution) {
    const double mid = (below + above) / 2;
    (*removed(mid) >= fraction ? above : below) = mid;
  }
  const double at_above = *removed(above), at_below = *removed(below);
  const double achieved =
      std::abs(at_below - fraction) <= std::abs(at_above - fraction) ? at_below : at_above;
  // The step's ratios [first, last], so that every target landing on one structure gets one
  // ratio: the shortest decimal among them (r = 0.3 rather than 0.30000000037).
  double first_low = 0, first = achieved == at_above ? above : below;
  while (first - first_low > kRatioResolution) {
    const double mid = (first_low + first) / 2;
    (*removed(mid) >= achieved ? first : first_low) = mid;
  }
  double last = first, last_high = usable;
  if (*removed(last_high) == achieved) last = last_high;
  while (last_high - last > kRatioResolution) {
    const double mid = (last + last_high) / 2;
    (*removed(mid) <= achieved ? last : last_high) = mid;
  }
  if (last - first < 1e-6) {
    // A method whose fraction moves continuously with r (FLAP's): four significant digits.
    const double scale = std::pow(10.0, 4 - std::ceil(std::log10(first)));
    const double r = std::min(std::round(first * scale) / scale, usable);
    if (const std::optional<double> at_r = removed(r)) return {r, *at_r};
    return {first, achieved};
  }
  for (int digits = 1; digits <= 9; ++digits) {
    // `first` is known to within the bisection's resolution, so the decimal at or just past it
    // is tried, and the next.
    const double scale = std::pow(10.0, digits);
    const double at_first = std::ceil(first * scale - 1e-6);
    for (const double r : {at_first / scale, (at_first + 1) / scale}) {
      if (r <= last && removed(r) == achieved) return {r, achieved};
    }
  }
  return {first, achieved};
}

}  // namespace claw::compress
