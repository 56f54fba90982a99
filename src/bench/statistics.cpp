#include "bench/statistics.h"

#include <algorithm>

#include "core/error.h"

namespace claw::bench {

Spread spread(std::vector<double> values) {
  CLAW_CHECK(!values.empty(), "no measurements to summarise");
  std::sort(values.begin(), values.end());
  const std::size_t n = values.size();
  const double median = n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
  return {median, values.front(), values.back()};
}

}  // namespace claw::bench
