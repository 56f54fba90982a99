// Numbers for people: thousands separators and byte sizes.
#pragma once

#include <cstdint>
#include <string>

namespace claw {

// 1234567 -> "1,234,567".
std::string with_commas(std::int64_t n);

// In decimal units with three significant digits or more: 1536 -> "1.54 kB",
// 988065792 -> "988 MB", 24582600000 -> "24.6 GB".
std::string byte_size(std::int64_t bytes);

}  // namespace claw
