// Errors: one exception type whose message is a single line a user can act on.
#pragma once

#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>

namespace claw {

// Thrown for bad input and failed checks. what() is the user-facing line; where() is the source
// location that raised it, printed beside the message to make bug reports precise.
class Error : public std::runtime_error {
 public:
  Error(std::string message, std::string where = {})
      : std::runtime_error(std::move(message)), where_(std::move(where)) {}
  const std::string& where() const { return where_; }

 private:
  std::string where_;
};

// Streams every argument into one string: concat("expected ", 3, " got ", 4).
template <typename... Args>
std::string concat(Args&&... args) {
  std::ostringstream out;
  (out << ... << std::forward<Args>(args));
  return out.str();
}

namespace detail {
[[noreturn]] void throw_error(const char* file, int line, std::string message);
}  // namespace detail

}  // namespace claw

// CLAW_CHECK(cond, parts...): throws claw::Error with the concatenated parts when cond is false.
// The message must name what was wrong and, for input, the file it came from.
#define CLAW_CHECK(cond, ...)                                                       \
  do {                                                                              \
    if (!(cond)) {                                                                  \
      ::claw::detail::throw_error(__FILE__, __LINE__, ::claw::concat(__VA_ARGS__)); \
    }                                                                               \
  } while (0)

// CLAW_FAIL(parts...): throws unconditionally.
#define CLAW_FAIL(...) ::claw::detail::throw_error(__FILE__, __LINE__, ::claw::concat(__VA_ARGS__))
