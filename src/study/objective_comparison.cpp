#include "study/objective_comparison.h"

#include <cmath>
#include <map>
#include <set>
#include <tuple>

namespace claw::study {
namespace {

using Cell = std::tuple<std::string, std::string, double, std::int64_t>;  // model, method, r, D

}  // namespace

std::vector<ObjectiveComparison> compare_objectives(const StudyResults& results) {
  std::vector<ObjectiveComparison> out;
  if (results.objectives.size() < 2) return out;
  for (const MetricName& metric : results.law_metric_names()) {
    // Each objective's measurements per cell, over seeds.
    std::map<Cell, std::vector<MeasuredValue>> by_objective[2];
    for (const ExperimentResult* e : results.compressed) {
      if (e->tokens == 0) continue;
      const MetricValue* m = e->metric(metric);
      if (m == nullptr) continue;
      const bool distilled = e->objective() == recover::Objective::kDistillation;
      by_objective[distilled][{e->model, e->method, e->ratio, e->tokens}].push_back(
          {m->value, m->standard_error});
    }
    for (const std::string& method : results.methods) {
      for (const double ratio : results.ratios) {
        for (const std::int64_t tokens : results.budgets) {
          std::set<std::string> models;  // a model's first base that measured the metric
          for (const ExperimentResult* base : results.base) {
            const MetricValue* base_value = base->metric(metric);
            if (base_value == nullptr || !models.insert(base->model).second) continue;
            const Cell cell{base->model, method, ratio, tokens};
            const auto lm = by_objective[0].find(cell);
            const auto kd = by_objective[1].find(cell);
            if (lm == by_objective[0].end() || kd == by_objective[1].end()) continue;
            ObjectiveComparison c;
            c.model = base->model;
            c.method = method;
            c.ratio = ratio;
            c.tokens = tokens;
            c.metric = metric;
            c.base_value = base_value->value;
            c.next_token = *mean_of(lm->second);
            c.distilled = *mean_of(kd->second);
            c.difference = c.distilled.value - c.next_token.value;
            if (c.next_token.standard_error && c.distilled.standard_error) {
              const double se =
                  std::hypot(*c.next_token.standard_error, *c.distilled.standard_error);
              c.low = c.difference - kZ95 * se;
              c.high = c.difference + kZ95 * se;
            }
            out.push_back(std::move(c));
          }
        }
      }
    }
  }
  return out;
}

}  // namespace claw::study
