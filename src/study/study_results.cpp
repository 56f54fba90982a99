#include "study/study_results.h"

#include <algorithm>
#include <cmath>
#include <set>

#include "bench/speed_comparison.h"

namespace claw::study {

StudyResults::StudyResults(std::vector<ExperimentResult> results) : all(std::move(results)) {
  std::set<double> r;
  std::set<std::int64_t> d;
  std::set<recover::Objective> objective;
  for (const ExperimentResult& e : all) {
    if (e.kind == "base") base.push_back(&e);
    if (e.kind == "speed") speed.push_back(&e);
    if (e.kind != "compressed") continue;
    compressed.push_back(&e);
    if (std::find(methods.begin(), methods.end(), e.method) == methods.end()) {
      methods.push_back(e.method);
    }
    r.insert(e.ratio);
    d.insert(e.tokens);
    if (e.tokens > 0) objective.insert(e.objective());
  }
  objectives.assign(objective.begin(), objective.end());
  ratios.assign(r.begin(), r.end());
  budgets.assign(d.begin(), d.end());
}

std::optional<MeasuredValue> mean_of(const std::vector<MeasuredValue>& measurements) {
  if (measurements.empty()) return std::nullopt;
  double sum = 0, variance = 0;
  bool every_error = true;
  for (const MeasuredValue& m : measurements) {
    sum += m.value;
    every_error = every_error && m.standard_error.has_value();
    if (m.standard_error) variance += *m.standard_error * *m.standard_error;
  }
  const double n = static_cast<double>(measurements.size());
  MeasuredValue mean{sum / n, std::nullopt};
  if (every_error) mean.standard_error = std::sqrt(variance) / n;
  return mean;
}

SpeedByEngine StudyResults::speed_by_engine() const {
  SpeedByEngine engines;
  for (const char* engine : bench::kSpeedEngines) {
    std::vector<const ExperimentResult*> measured;
    for (const ExperimentResult* e : speed) {
      if (e->config.value("engine", std::string(bench::kClawEngine)) == engine) {
        measured.push_back(e);
      }
    }
    if (!measured.empty()) engines.emplace_back(engine, std::move(measured));
  }
  return engines;
}

std::optional<MeasuredValue> StudyResults::measured(const std::string& method, double ratio,
                                                    std::int64_t tokens, const MetricName& metric,
                                                    recover::Objective objective) const {
  std::vector<MeasuredValue> found;
  for (const ExperimentResult* e : compressed) {
    if (e->method != method || e->ratio != ratio || e->tokens != tokens) continue;
    if (e->tokens > 0 && e->objective() != objective) continue;  // D = 0: every objective's
    if (const MetricValue* m = e->metric(metric)) found.push_back({m->value, m->standard_error});
  }
  return mean_of(found);
}

double StudyResults::value(const std::string& method, double ratio, std::int64_t tokens,
                           const MetricName& metric) const {
  const std::optional<MeasuredValue> m = measured(method, ratio, tokens, metric);
  return m ? m->value : NAN;
}

const ExperimentResult* StudyResults::base_with(const MetricName& metric) const {
  for (const ExperimentResult* e : base) {
    if (e->metric(metric) != nullptr) return e;
  }
  return nullptr;
}

std::vector<MetricName> StudyResults::base_metrics() const {
  std::vector<MetricName> names;
  for (const ExperimentResult* e : base) {
    for (const MetricValue& m : e->metrics) {
      if (std::find(names.begin(), names.end(), m.name) == names.end()) names.push_back(m.name);
    }
  }
  return names;
}

std::vector<MetricName> StudyResults::law_metric_names() const {
  std::vector<MetricName> names;
  for (const MetricName& name : base_metrics()) {
    if (name.is_law_metric()) names.push_back(name);
  }
  return names;
}

}  // namespace claw::study
