// Numbers for people: thousands separators.
#pragma once

#include <cstdint>
#include <string>

namespace claw {

// 1234567 -> "1,234,567".
std::string with_commas(std::int64_t n);

}  // namespace claw
