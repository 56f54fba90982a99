// Metric names in tests as the store spells them: "loss/tiny"_metric.
#pragma once

#include <cstddef>

#include "study/metric_name.h"

namespace claw::testing {

inline study::MetricName operator""_metric(const char* text, std::size_t size) {
  return study::MetricName::parse({text, size});
}

}  // namespace claw::testing
