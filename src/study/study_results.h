// A store's experiments sorted by kind, with the lookups the report and the findings share.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "study/store.h"

namespace claw::study {

// A metric averaged over the experiments that measured it, with the standard error of that
// mean when each has one (the experiments taken as independent).
struct MeasuredValue {
  double value = 0;
  std::optional<double> standard_error;
};

// The two-sided 95% normal quantile, for intervals built from standard errors.
inline constexpr double kZ95 = 1.959963984540054;

// The mean of independent measurements, with √(Σ se²) / n when each has a standard error; unset
// for none.
std::optional<MeasuredValue> mean_of(const std::vector<MeasuredValue>& measurements);

// Experiments grouped by the engine that measured them.
using SpeedByEngine = std::vector<std::pair<std::string, std::vector<const ExperimentResult*>>>;

struct StudyResults {
  std::vector<ExperimentResult> all;
  std::vector<const ExperimentResult*> base, compressed, speed;
  std::vector<std::string> methods;  // in order of first appearance
  std::vector<double> ratios;
  std::vector<std::int64_t> budgets;
  // The objectives the recovered experiments (D > 0) trained with, next-token training first.
  // The report's tables are of next-token training; distillation has a section of its own.
  std::vector<recover::Objective> objectives;

  explicit StudyResults(std::vector<ExperimentResult> results);

  // The speed experiments measured in each engine (bench::kClawEngine, kLlamaCppEngine), claw's
  // first; experiments recorded before engines existed were measured in claw's.
  SpeedByEngine speed_by_engine() const;

  // The metric for `method` at (r, D) recovered by `objective`, averaged over seeds and models;
  // unset when absent. At D = 0 every experiment is next-token's: nothing was trained.
  std::optional<MeasuredValue> measured(
      const std::string& method, double ratio, std::int64_t tokens, const MetricName& metric,
      recover::Objective objective = recover::Objective::kNextToken) const;
  // The same, NaN when absent.
  double value(const std::string& method, double ratio, std::int64_t tokens,
               const MetricName& metric) const;

  // The base experiment that measured `metric` (the first), or null.
  const ExperimentResult* base_with(const MetricName& metric) const;

  // Every metric name the base experiments measured, in their order.
  std::vector<MetricName> base_metrics() const;

  // The loss metrics (one per frontier), then the extrinsic ones: the zero-shot average and
  // each group's accuracy.
  std::vector<MetricName> law_metric_names() const;
};

}  // namespace claw::study
