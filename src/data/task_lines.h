// The lines of a task file, numbered for error messages.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

namespace claw::data {

// `text` split at '\n', each line without a trailing '\r'.
std::vector<std::string_view> split_lines(std::string_view text);

struct NumberedLine {
  std::int64_t number;  // 1-based
  std::string_view text;
};

// The lines that hold something besides whitespace, with their line numbers.
std::vector<NumberedLine> nonblank_lines(std::string_view text);

}  // namespace claw::data
