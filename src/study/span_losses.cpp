#include "study/span_losses.h"

#include <cmath>

namespace claw::study {
namespace {

constexpr const char* kSpanLosses = "span_losses";

}  // namespace

void record_span_losses(Json& record, const MetricName& metric, const SpanLosses& losses) {
  record[kSpanLosses][metric.text()] = {{"nll", losses.nll}, {"targets", losses.targets}};
}

std::optional<SpanLosses> recorded_span_losses(const ExperimentResult& result,
                                               const MetricName& metric) {
  if (!result.record.is_object() || !result.record.contains(kSpanLosses)) return std::nullopt;
  const Json& all = result.record.at(kSpanLosses);
  const auto found = all.find(metric.text());
  if (found == all.end()) return std::nullopt;
  return SpanLosses{found->at("nll").get<std::vector<double>>(),
                    found->at("targets").get<std::vector<std::int64_t>>()};
}

std::optional<PairedDifference> paired_difference(
    const std::vector<std::pair<const SpanLosses*, const SpanLosses*>>& pairs) {
  if (pairs.empty()) return std::nullopt;
  const std::size_t n = pairs.front().first->nll.size();
  std::vector<double> summed(n, 0.0), targets(n, 0.0);
  for (const auto& [a, b] : pairs) {
    if (a->nll.size() != n || b->nll.size() != n || a->targets != pairs.front().first->targets ||
        b->targets != a->targets) {
      return std::nullopt;
    }
    for (std::size_t i = 0; i < n; ++i) {
      summed[i] += b->nll[i] - a->nll[i];
      targets[i] += static_cast<double>(a->targets[i]);
    }
  }
  double total_difference = 0, total_targets = 0;
  std::int64_t spans = 0;
  for (std::size_t i = 0; i < n; ++i) {
    if (targets[i] == 0) continue;
    total_difference += summed[i];
    total_targets += targets[i];
    ++spans;
  }
  if (spans < 2) return std::nullopt;
  PairedDifference d;
  d.value = total_difference / total_targets;
  d.spans = spans;
  double squared = 0;
  for (std::size_t i = 0; i < n; ++i) {
    if (targets[i] == 0) continue;
    const double deviation = summed[i] - d.value * targets[i];
    squared += deviation * deviation;
  }
  const double scale = static_cast<double>(spans) / static_cast<double>(spans - 1);
  d.standard_error = std::sqrt(scale * squared) / total_targets;
  return d;
}

}  // namespace claw::study
