// Text for people: thousands separators, byte sizes, lists.
#pragma once

#include <cstdint>
#include <optional>
#include <sstream>
#include <string>

namespace claw {

// 1234567 -> "1,234,567".
std::string with_commas(std::int64_t n);

// `value` with `digits` after the decimal point: fixed(0.68, 4) -> "0.6800".
std::string fixed(double value, int digits);

// `value` with `digits` significant digits: significant(0.123456) -> "0.1235"; "–" for NaN and
// "∞" / "−∞" for infinities, for tables where a value may be missing.
std::string significant(double value, int digits = 4);

// The same with trailing zeros kept, so that a column of numbers reads at one precision:
// table_number(3.1) -> "3.100", table_number(0.5) -> "0.5000", table_number(2e6) -> "2.000e+06".
std::string table_number(double value, int digits = 4);

// A measurement and its standard error, the error to two significant digits and the value to
// the same decimal place: measurement(1.23984, 0.0221) -> "1.240 ± 0.022"; the value alone (at
// four significant digits, zeros kept) without an error.
std::string measurement(double value, std::optional<double> error);

// In decimal units with three significant digits or more: 1536 -> "1.54 kB",
// 988065792 -> "988 MB", 24582600000 -> "24.6 GB".
std::string byte_size(std::int64_t bytes);

// A duration as a clock shows it: "1:05:09", or "4:05" under an hour.
std::string clock_text(double seconds);

// The items with ", " between them, each first turned into something printable by `text`:
// join(laws, [](const GroupLaw& l) { return l.group; }) -> "tinystories, wikitext2".
template <typename Range, typename ToText>
std::string join(const Range& items, ToText&& text) {
  std::ostringstream out;
  const char* separator = "";
  for (const auto& item : items) {
    out << separator << text(item);
    separator = ", ";
  }
  return out.str();
}

// The items, each printed as `<<` prints it, with ", " between them: join(shape) -> "2, 3".
template <typename Range>
std::string join(const Range& items) {
  return join(
      items, [](const auto& item) -> const auto& { return item; });
}

}  // namespace claw
