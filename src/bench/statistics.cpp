#include "bench/statistics.h"

#include <algorithm>
#include <cstdio>

#include "core/error.h"

namespace claw::bench {

Spread spread(std::vector<double> values) {
  CLAW_CHECK(!values.empty(), "no measurements to summarise");
  std::sort(values.begin(), values.end());
  const std::size_t n = values.size();
  const double median = n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
  return {median, values.front(), values.back()};
}

std::string spread_text(const Json& s, const char* format, double scale) {
  const std::string f = std::string(format) + " [" + format + ", " + format + "]";
  char text[128];
  std::snprintf(text, sizeof text, f.c_str(), scale * s["median"].get<double>(),
                scale * s["min"].get<double>(), scale * s["max"].get<double>());
  return text;
}

}  // namespace claw::bench
