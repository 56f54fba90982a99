// The added tokens of a tokenizer.json (<|endoftext|>, <|im_start|>, ...): matched in the raw text
// before normalization and BPE, leftmost first and longest first at one position, as HF does.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace claw::text {

struct AddedToken {
  std::string content;
  std::int32_t id = 0;
  // Special tokens (control tokens) are matched only when the caller asks for it; the others
  // (user-defined tokens such as Qwen3's <think>) always are, as in HF and llama.cpp.
  bool special = false;
  bool lstrip = false;  // absorbs the whitespace before it
  bool rstrip = false;  // absorbs the whitespace after it
};

class AddedTokenMatcher {
 public:
  explicit AddedTokenMatcher(std::vector<AddedToken> tokens);

  struct Match {
    std::size_t begin, end;  // the bytes the token replaces, stripped whitespace included
    const AddedToken* token;
  };
  // The first token occurrence in text[from..], or nothing.
  std::optional<Match> find(std::string_view text, std::size_t from, bool match_special) const;

  const AddedToken* by_content(std::string_view content) const;
  const std::vector<AddedToken>& tokens() const { return tokens_; }

 private:
  std::vector<AddedToken> tokens_;
  // Indices of tokens_ by first byte, longest first, so the first hit is the longest.
  std::vector<std::vector<std::size_t>> by_first_byte_;
};

}  // namespace claw::text
