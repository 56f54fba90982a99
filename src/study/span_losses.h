// A loss metric's summed loss per span (document or window), which an experiment's record keeps
// so that two models scored on the same text can be compared span by span: a paired difference,
// whose interval leaves out what the text's own variation adds to each model's standard error.
#pragma once

#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

#include "study/metric_name.h"
#include "study/store.h"

namespace claw::study {

struct SpanLosses {
  std::vector<double> nll;            // summed over each span's targets
  std::vector<std::int64_t> targets;  // the tokens each span scores
};

// Writes `losses` into `record` under "span_losses" and the metric's name.
void record_span_losses(Json& record, const MetricName& metric, const SpanLosses& losses);
// The span losses `result` recorded for `metric`; unset for a record without them (every
// experiment stored before they were kept).
std::optional<SpanLosses> recorded_span_losses(const ExperimentResult& result,
                                               const MetricName& metric);

struct PairedDifference {
  double value = 0;           // Σ (nll_b − nll_a) / Σ targets over every pair and span
  double standard_error = 0;  // with the spans as the sampled units
  std::int64_t spans = 0;
};
// The difference b − a of token-weighted mean losses over pairs of models scored on the same
// spans (one pair per seed, or per seed and setting when pooled), with each span's differences
// summed over the pairs, so that spans are the independent units: the ratio estimator's
// √(n/(n−1) · Σ (s_i − d·t_i)²) / Σ t_i, as LossTotal::standard_error has it for one model. Unset
// when a pair's spans differ (another text or protocol) or there are fewer than two.
std::optional<PairedDifference> paired_difference(
    const std::vector<std::pair<const SpanLosses*, const SpanLosses*>>& pairs);

}  // namespace claw::study
