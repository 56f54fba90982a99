// Methods of different structure compared at equal size: each method's measurements placed by
// the fraction of non-embedding parameters it removed, and the best method at each tenth of
// that fraction, with the runner-up named where the two cannot be told apart.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "study/study_results.h"

namespace claw::study {

// A method's measurement at one fraction of parameters removed.
struct SizePoint {
  double fraction = 0;
  MeasuredValue measured{};
};

// `method`'s measurements of `metric` at D = `tokens`, by the fraction of non-embedding
// parameters it removed, smallest first.
std::vector<SizePoint> points_by_size(const StudyResults& results, const std::string& method,
                                      std::int64_t tokens, const MetricName& metric);

// The measurement at `fraction`, linear between the two measured sizes around it (its standard
// error too); unset outside the measured sizes.
std::optional<MeasuredValue> at_size(const std::vector<SizePoint>& points, double fraction);

// The best method at one size: the lowest loss or the highest accuracy. `tied_with` names the
// runner-up when the two differ by less than two standard errors of the difference.
struct SizeWinner {
  double fraction = 0;
  std::string method{}, tied_with{};
  double value = 0;
};

// For each tenth of the parameters removed that two methods or more reach, the best method.
std::vector<SizeWinner> best_method_by_size(const StudyResults& results, const MetricName& metric,
                                            std::int64_t tokens);

}  // namespace claw::study
