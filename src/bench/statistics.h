// Median and range of repeated measurements: what every speed figure is reported as.
#pragma once

#include <string>
#include <vector>

#include "core/json.h"

namespace claw::bench {

struct Spread {
  double median, min, max;
  Json json() const { return {{"median", median}, {"min", min}, {"max", max}}; }
  Spread scaled(double factor) const { return {median * factor, min * factor, max * factor}; }
};

// `values` must not be empty.
Spread spread(std::vector<double> values);

// A spread as its JSON holds it, "median [min, max]", each number in printf `format` after
// multiplying by `scale`.
std::string spread_text(const Json& spread, const char* format, double scale = 1);

}  // namespace claw::bench
