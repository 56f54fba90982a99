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

// The repetitions of one model at one setting, in either engine.
struct GenerationRuns {
  std::vector<double> prefill_tokens_per_s, first_token_ms, decode_tokens_per_s;
  // Each series' spread under its name.
  Json figures() const;
};

// A model's speedup over its base from repetitions taken in turns (element i of each from
// adjacent runs), beside the `ideal` one: the measured spread of the per-repetition ratios, the
// ideal, their ratio, and the share of the ideal gain over 1× realised (null when the shapes
// promise no gain).
Json speedup_against_ideal(const std::vector<double>& model, const std::vector<double>& base,
                           double ideal);

// A spread as its JSON holds it, "median [min, max]", each number in printf `format` after
// multiplying by `scale`.
std::string spread_text(const Json& spread, const char* format, double scale = 1);

}  // namespace claw::bench
