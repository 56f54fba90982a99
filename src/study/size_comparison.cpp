#include "study/size_comparison.h"

#include <algorithm>
#include <cmath>
#include <map>

namespace claw::study {

std::vector<SizePoint> points_by_size(const StudyResults& results, const std::string& method,
                                      std::int64_t tokens, const MetricName& metric) {
  std::vector<SizePoint> points;
  for (const double r : results.ratios) {
    const double fraction = results.value(method, r, tokens, kFractionRemovedWithoutEmbeddings);
    const std::optional<MeasuredValue> m = results.measured(method, r, tokens, metric);
    if (std::isfinite(fraction) && m) points.push_back({fraction, *m});
  }
  std::sort(points.begin(), points.end(),
            [](const SizePoint& a, const SizePoint& b) { return a.fraction < b.fraction; });
  return points;
}

std::optional<MeasuredValue> at_size(const std::vector<SizePoint>& points, double fraction) {
  for (std::size_t i = 0; i + 1 < points.size(); ++i) {
    const SizePoint &a = points[i], &b = points[i + 1];
    if (fraction < a.fraction || fraction > b.fraction) continue;
    const double t =
        b.fraction > a.fraction ? (fraction - a.fraction) / (b.fraction - a.fraction) : 0.0;
    MeasuredValue m{a.measured.value + t * (b.measured.value - a.measured.value), std::nullopt};
    if (a.measured.standard_error && b.measured.standard_error) {
      m.standard_error = *a.measured.standard_error +
                         t * (*b.measured.standard_error - *a.measured.standard_error);
    }
    return m;
  }
  return std::nullopt;
}

std::vector<SizeWinner> best_method_by_size(const StudyResults& results, const MetricName& metric,
                                            std::int64_t tokens) {
  std::map<std::string, std::vector<SizePoint>> by_method;
  for (const std::string& method : results.methods) {
    by_method[method] = points_by_size(results, method, tokens, metric);
  }
  std::vector<SizeWinner> winners;
  for (int tenth = 1; tenth <= 9; ++tenth) {
    const double fraction = tenth / 10.0;
    std::vector<std::pair<std::string, MeasuredValue>> here;
    for (const std::string& method : results.methods) {
      if (const auto m = at_size(by_method[method], fraction)) here.emplace_back(method, *m);
    }
    if (here.size() < 2) continue;
    const bool lower = metric.lower_is_better();
    std::sort(here.begin(), here.end(), [&](const auto& a, const auto& b) {
      return lower ? a.second.value < b.second.value : a.second.value > b.second.value;
    });
    const MeasuredValue &best = here[0].second, &next = here[1].second;
    SizeWinner w{fraction, here[0].first, "", best.value};
    if (best.standard_error && next.standard_error &&
        std::fabs(best.value - next.value) <
            2 * std::hypot(*best.standard_error, *next.standard_error)) {
      w.tied_with = here[1].first;
    }
    winners.push_back(std::move(w));
  }
  return winners;
}

}  // namespace claw::study
