#include "core/format.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iterator>

namespace claw {

std::string fixed(double value, int digits) {
  char text[64];
  std::snprintf(text, sizeof text, "%.*f", digits, value);
  return text;
}

std::string significant(double value, int digits) {
  if (std::isnan(value)) return "–";
  if (std::isinf(value)) return value > 0 ? "∞" : "−∞";
  char text[64];
  std::snprintf(text, sizeof text, "%.*g", digits, value);
  return text;
}

std::string table_number(double value, int digits) {
  if (!std::isfinite(value)) return significant(value, digits);
  char text[64];
  std::snprintf(text, sizeof text, "%#.*g", digits, value);
  std::string out = text;
  if (!out.empty() && out.back() == '.') out.pop_back();  // "%#g" keeps the point of "100."
  return out;
}

std::string measurement(double value, std::optional<double> error) {
  if (!error || !std::isfinite(*error) || *error <= 0 || !std::isfinite(value)) {
    return table_number(value);
  }
  // The decimal place of the error's second significant digit; the value is rounded to it.
  const int place = static_cast<int>(std::floor(std::log10(*error))) - 1;
  const int decimals = std::max(0, -place);
  return fixed(value, decimals) + " ± " + fixed(*error, decimals);
}

std::string with_commas(std::int64_t n) {
  const std::string digits = std::to_string(n < 0 ? -n : n);
  std::string text = n < 0 ? "-" : "";
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) text += ',';
    text += digits[i];
  }
  return text;
}

std::string byte_size(std::int64_t bytes) {
  static constexpr const char* kUnits[] = {"B", "kB", "MB", "GB", "TB", "PB"};
  double value = static_cast<double>(bytes);
  std::size_t unit = 0;
  while ((value >= 1000 || value <= -1000) && unit + 1 < std::size(kUnits)) {
    value /= 1000;
    ++unit;
  }
  char text[32];
  const char* format = unit == 0                     ? "%.0f %s"
                       : value < 10 && value > -10   ? "%.2f %s"
                       : value < 100 && value > -100 ? "%.1f %s"
                                                     : "%.0f %s";
  std::snprintf(text, sizeof text, format, value, kUnits[unit]);
  return text;
}

std::string clock_text(double seconds) {
  const auto total = static_cast<long long>(seconds + 0.5);
  char text[32];
  if (total >= 3600) {
    std::snprintf(text, sizeof text, "%lld:%02lld:%02lld", total / 3600, total / 60 % 60,
                  total % 60);
  } else {
    std::snprintf(text, sizeof text, "%lld:%02lld", total / 60, total % 60);
  }
  return text;
}

}  // namespace claw
