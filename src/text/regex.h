// A compiled PCRE2 pattern with Unicode properties, for pre-tokenizer splits. Matching works on
// any bytes: invalid UTF-8 never matches, so it is left between matches rather than refused.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

struct pcre2_real_code_8;

namespace claw::text {

class Regex {
 public:
  // Compiles `pattern` (UTF, Unicode properties for \s \w \d and case folding, JIT when the
  // platform has it); a bad pattern is an error naming `source`.
  Regex(const std::string& pattern, const std::string& source);

  // Calls on_match(begin, end) for each successive non-empty, non-overlapping match in `text`,
  // leftmost first. Thread-safe: each call owns its match state.
  void for_each_match(std::string_view text,
                      const std::function<void(std::size_t, std::size_t)>& on_match) const;

 private:
  struct CodeDeleter {
    void operator()(pcre2_real_code_8* code) const;
  };
  std::unique_ptr<pcre2_real_code_8, CodeDeleter> code_;
  std::string source_;
};

}  // namespace claw::text
