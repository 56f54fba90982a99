// Distillation against next-token recovery in a study's results: at each model, method, r and
// D > 0 that both objectives recovered, each metric's two values and their difference with a 95%
// interval.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "study/study_results.h"

namespace claw::study {

struct ObjectiveComparison {
  std::string model, method;
  double ratio = 0;
  std::int64_t tokens = 0;  // D
  MetricName metric;
  double base_value = 0;     // L0: the model's uncompressed value
  MeasuredValue next_token;  // averaged over seeds
  MeasuredValue distilled;   // the same
  double difference = 0;     // distilled − next-token
  // The 95% interval of the difference, the two taken as independent (each standard error is
  // over documents or items; a paired interval would be narrower). Unset without both errors.
  std::optional<double> low, high;

  // "model/subject", the law's frontier.
  std::string frontier() const { return model + "/" + metric.subject; }
  // Whether distillation did better: a lower loss, a higher accuracy.
  double gain() const { return metric.lower_is_better() ? -difference : difference; }
};

// Every comparison of the law metrics (losses and the extrinsic accuracies), in the results'
// order of methods, then r, then D. Empty unless both objectives were run.
std::vector<ObjectiveComparison> compare_objectives(const StudyResults& results);

}  // namespace claw::study
