#include "text/added_tokens.h"

#include <algorithm>

#include "text/utf8.h"

namespace claw::text {
namespace {

// The start of the whitespace that ends text[..end], not reaching before `floor`.
std::size_t whitespace_start(std::string_view text, std::size_t end, std::size_t floor) {
  while (end > floor) {
    std::size_t start = end - 1;  // back to the lead byte of the previous character
    while (start > floor && (static_cast<unsigned char>(text[start]) & 0xC0) == 0x80) --start;
    const std::size_t length = utf8::sequence_length(text, start);
    if (length != end - start || !utf8::is_whitespace(utf8::decode(text, start, length))) break;
    end = start;
  }
  return end;
}

// The end of the whitespace that starts at text[begin..].
std::size_t whitespace_end(std::string_view text, std::size_t begin) {
  while (begin < text.size()) {
    const std::size_t length = utf8::sequence_length(text, begin);
    if (length == 0 || !utf8::is_whitespace(utf8::decode(text, begin, length))) break;
    begin += length;
  }
  return begin;
}

}  // namespace

AddedTokenMatcher::AddedTokenMatcher(std::vector<AddedToken> tokens)
    : tokens_(std::move(tokens)), by_first_byte_(256) {
  for (std::size_t i = 0; i < tokens_.size(); ++i) {
    if (tokens_[i].content.empty()) continue;
    by_first_byte_[static_cast<unsigned char>(tokens_[i].content[0])].push_back(i);
  }
  for (std::vector<std::size_t>& candidates : by_first_byte_) {
    std::stable_sort(candidates.begin(), candidates.end(), [&](std::size_t a, std::size_t b) {
      return tokens_[a].content.size() > tokens_[b].content.size();
    });
  }
}

std::optional<AddedTokenMatcher::Match> AddedTokenMatcher::find(std::string_view text,
                                                                std::size_t from,
                                                                bool match_special) const {
  for (std::size_t pos = from; pos < text.size(); ++pos) {
    for (std::size_t index : by_first_byte_[static_cast<unsigned char>(text[pos])]) {
      const AddedToken& token = tokens_[index];
      if (token.special && !match_special) continue;
      if (text.compare(pos, token.content.size(), token.content) != 0) continue;
      const std::size_t end = pos + token.content.size();
      return Match{token.lstrip ? whitespace_start(text, pos, from) : pos,
                   token.rstrip ? whitespace_end(text, end) : end, &token};
    }
  }
  return std::nullopt;
}

const AddedToken* AddedTokenMatcher::by_content(std::string_view content) const {
  for (const AddedToken& token : tokens_) {
    if (token.content == content) return &token;
  }
  return nullptr;
}

}  // namespace claw::text
