#include "study/objective_comparison.h"

#include <cmath>
#include <map>
#include <set>
#include <tuple>

namespace claw::study {
namespace {

using Cell = std::tuple<std::string, std::string, double, std::int64_t>;  // model, method, r, D

// One cell's experiments by objective (next-token first) and seed.
using Recovered = std::map<std::uint64_t, const ExperimentResult*>[2];

MeasuredValue mean_over_seeds(const std::map<std::uint64_t, const ExperimentResult*>& by_seed,
                              const MetricName& metric) {
  std::vector<MeasuredValue> values;
  for (const auto& [seed, e] : by_seed) {
    const MetricValue* m = e->metric(metric);
    values.push_back({m->value, m->standard_error});
  }
  return *mean_of(values);
}

// The difference's interval paired over spans, when every seed has both objectives' span losses.
void pair_by_seed(const Recovered& recovered, ObjectiveComparison& c) {
  if (recovered[0].size() != recovered[1].size()) return;
  for (const auto& [seed, next_token] : recovered[0]) {
    const auto distilled = recovered[1].find(seed);
    if (distilled == recovered[1].end()) return;
    std::optional<SpanLosses> a = recorded_span_losses(*next_token, c.metric);
    std::optional<SpanLosses> b = recorded_span_losses(*distilled->second, c.metric);
    if (!a || !b) return;
    c.span_pairs.emplace_back(std::move(*a), std::move(*b));
  }
  std::vector<std::pair<const SpanLosses*, const SpanLosses*>> pairs;
  for (const auto& [a, b] : c.span_pairs) pairs.emplace_back(&a, &b);
  const std::optional<PairedDifference> d = paired_difference(pairs);
  if (!d) {
    c.span_pairs.clear();
    return;
  }
  // d->value is c.difference: every seed scores the same spans.
  c.standard_error = d->standard_error;
  c.paired = true;
}

}  // namespace

std::vector<ObjectiveComparison> compare_objectives(const StudyResults& results) {
  std::vector<ObjectiveComparison> out;
  if (results.objectives.size() < 2) return out;
  for (const MetricName& metric : results.law_metric_names()) {
    std::map<Cell, Recovered> cells;
    for (const ExperimentResult* e : results.compressed) {
      if (e->tokens == 0 || e->metric(metric) == nullptr) continue;
      const bool distilled = e->objective() == recover::Objective::kDistillation;
      cells[{e->model, e->method, e->ratio, e->tokens}][distilled][e->seed] = e;
    }
    for (const std::string& method : results.methods) {
      for (const double ratio : results.ratios) {
        for (const std::int64_t tokens : results.budgets) {
          std::set<std::string> models;  // a model's first base that measured the metric
          for (const ExperimentResult* base : results.base) {
            const MetricValue* base_value = base->metric(metric);
            if (base_value == nullptr || !models.insert(base->model).second) continue;
            const auto cell = cells.find({base->model, method, ratio, tokens});
            if (cell == cells.end() || cell->second[0].empty() || cell->second[1].empty()) {
              continue;
            }
            ObjectiveComparison c;
            c.model = base->model;
            c.method = method;
            c.ratio = ratio;
            c.tokens = tokens;
            c.metric = metric;
            c.base_value = base_value->value;
            c.next_token = mean_over_seeds(cell->second[0], metric);
            c.distilled = mean_over_seeds(cell->second[1], metric);
            c.difference = c.distilled.value - c.next_token.value;
            if (metric.kind == MetricKind::kLoss) pair_by_seed(cell->second, c);
            if (!c.paired && c.next_token.standard_error && c.distilled.standard_error) {
              c.standard_error =
                  std::hypot(*c.next_token.standard_error, *c.distilled.standard_error);
            }
            if (c.standard_error) {
              c.low = c.difference - kZ95 * *c.standard_error;
              c.high = c.difference + kZ95 * *c.standard_error;
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
