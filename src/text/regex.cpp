#define PCRE2_CODE_UNIT_WIDTH 8
#include "text/regex.h"

#include <pcre2.h>

#include <algorithm>
#include <cstdint>

#include "core/error.h"
#include "text/utf8.h"

namespace claw::text {
namespace {

std::string pcre2_message(int code) {
  PCRE2_UCHAR buffer[256];
  if (pcre2_get_error_message(code, buffer, sizeof buffer) < 0) return concat("error ", code);
  return reinterpret_cast<const char*>(buffer);
}

struct MatchDataDeleter {
  void operator()(pcre2_match_data* data) const { pcre2_match_data_free(data); }
};
struct JitStackDeleter {
  void operator()(pcre2_jit_stack* stack) const { pcre2_jit_stack_free(stack); }
};
struct MatchContextDeleter {
  void operator()(pcre2_match_context* context) const { pcre2_match_context_free(context); }
};

// Long runs (a 10 MB line of spaces) can outgrow the JIT's default 32 KiB stack.
constexpr std::size_t kMatchStepsBase = 10'000'000, kMatchStepsPerByte = 64;
constexpr std::size_t kJitStackStart = 32 << 10, kJitStackMax = 256 << 20;

}  // namespace

void Regex::CodeDeleter::operator()(pcre2_real_code_8* code) const {
  pcre2_code_free(code);
}

Regex::Regex(const std::string& pattern, const std::string& source) : source_(source) {
  int error = 0;
  PCRE2_SIZE offset = 0;
  // MATCH_INVALID_UTF lets a subject hold invalid UTF-8: such bytes simply never match.
  const std::uint32_t options = PCRE2_UTF | PCRE2_UCP | PCRE2_MATCH_INVALID_UTF;
  code_.reset(pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(), options,
                            &error, &offset, nullptr));
  CLAW_CHECK(code_ != nullptr, source, ": cannot compile the regex '", pattern, "' at offset ",
             offset, ": ", pcre2_message(error));
  // Without JIT (an unsupported CPU) the interpreter gives the same matches, only slower.
  pcre2_jit_compile(code_.get(), PCRE2_JIT_COMPLETE);
}

void Regex::for_each_match(std::string_view text,
                           const std::function<void(std::size_t, std::size_t)>& on_match) const {
  const std::unique_ptr<pcre2_match_data, MatchDataDeleter> data(
      pcre2_match_data_create_from_pattern(code_.get(), nullptr));
  const std::unique_ptr<pcre2_match_context, MatchContextDeleter> context(
      pcre2_match_context_create(nullptr));
  std::unique_ptr<pcre2_jit_stack, JitStackDeleter> stack;
  CLAW_CHECK(data && context, "out of memory for a regex match");
  // PCRE2's default limit (10 million backtracking steps) stops a pre-tokenizer pattern on a long
  // run such as 10 MB of spaces, where \s*[\r\n]+ backtracks over the whole run once. A budget
  // linear in the text still stops a pathological pattern from a stranger's tokenizer.json.
  pcre2_set_match_limit(context.get(),
                        static_cast<std::uint32_t>(std::min<std::size_t>(
                            kMatchStepsBase + kMatchStepsPerByte * text.size(), UINT32_MAX)));

  const auto subject = reinterpret_cast<PCRE2_SPTR>(text.data());
  std::size_t from = 0;
  while (from < text.size()) {
    int rc = pcre2_match(code_.get(), subject, text.size(), from, 0, data.get(), context.get());
    if (rc == PCRE2_ERROR_JIT_STACKLIMIT && !stack) {
      stack.reset(pcre2_jit_stack_create(kJitStackStart, kJitStackMax, nullptr));
      CLAW_CHECK(stack != nullptr, "out of memory for a regex match");
      pcre2_jit_stack_assign(context.get(), nullptr, stack.get());
      continue;
    }
    if (rc == PCRE2_ERROR_NOMATCH) return;
    CLAW_CHECK(rc >= 0, source_, ": regex match failed: ", pcre2_message(rc));
    const PCRE2_SIZE* range = pcre2_get_ovector_pointer(data.get());
    const std::size_t begin = range[0], end = range[1];
    if (end > begin) {
      on_match(begin, end);
      from = end;
    } else {  // an empty match: step over one character (or one invalid byte)
      if (end >= text.size()) return;
      from = end + std::max<std::size_t>(1, utf8::sequence_length(text, end));
    }
  }
}

}  // namespace claw::text
