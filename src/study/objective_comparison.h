// Distillation against next-token recovery in a study's results: at each model, method, r and
// D > 0 that both objectives recovered, each metric's two values and their difference with a 95%
// interval, paired document by document where the records allow.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "study/span_losses.h"
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
  // The standard error of the difference and its 95% interval: paired over the documents (or
  // windows) when both objectives' records hold each one's loss for every seed; else the two
  // standard errors taken as independent, which is wider. Unset without either.
  std::optional<double> standard_error, low, high;
  bool paired = false;
  // Per seed, the two span losses that the paired interval came from (next-token, distilled).
  std::vector<std::pair<SpanLosses, SpanLosses>> span_pairs;

  // "model/subject", the law's frontier.
  std::string frontier() const { return model + "/" + metric.subject; }
  // Whether distillation did better: a lower loss, a higher accuracy.
  double gain() const { return metric.lower_is_better() ? -difference : difference; }
};

// Every comparison of the law metrics (losses and the extrinsic accuracies), in the results'
// order of methods, then r, then D. Empty unless both objectives were run.
std::vector<ObjectiveComparison> compare_objectives(const StudyResults& results);

}  // namespace claw::study
