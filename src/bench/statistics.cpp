#include "bench/statistics.h"

#include <algorithm>
#include <cstdio>

#include "core/error.h"

namespace claw::bench {

Json GenerationRuns::figures() const {
  return {{"prefill_tokens_per_s", spread(prefill_tokens_per_s).json()},
          {"first_token_ms", spread(first_token_ms).json()},
          {"decode_tokens_per_s", spread(decode_tokens_per_s).json()}};
}

Spread spread(std::vector<double> values) {
  CLAW_CHECK(!values.empty(), "no measurements to summarise");
  std::sort(values.begin(), values.end());
  const std::size_t n = values.size();
  const double median = n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
  return {median, values.front(), values.back()};
}

Json speedup_against_ideal(const std::vector<double>& model, const std::vector<double>& base,
                           double ideal) {
  CLAW_CHECK(model.size() == base.size(), "speedups need as many base runs as model runs");
  std::vector<double> ratios;
  for (std::size_t i = 0; i < model.size(); ++i) ratios.push_back(model[i] / base[i]);
  const Spread measured = spread(ratios);
  Json j = {{"measured", measured.json()},
            {"ideal", ideal},
            {"ratio_to_ideal", measured.median / ideal},
            {"share_of_ideal_gain", nullptr}};
  if (ideal > 1 + 1e-9) j["share_of_ideal_gain"] = (measured.median - 1) / (ideal - 1);
  return j;
}

std::string spread_text(const Json& s, const char* format, double scale) {
  const std::string f = std::string(format) + " [" + format + ", " + format + "]";
  char text[128];
  std::snprintf(text, sizeof text, f.c_str(), scale * s["median"].get<double>(),
                scale * s["min"].get<double>(), scale * s["max"].get<double>());
  return text;
}

}  // namespace claw::bench
