// UTF-8 scanning that never throws on malformed input: callers decide what an invalid byte means.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace claw::text::utf8 {

// The length (1-4) of the well-formed UTF-8 sequence starting at text[pos], or 0 when the bytes
// there are not one: a stray continuation byte, a truncated sequence, an overlong form, a
// surrogate or a code point above U+10FFFF.
std::size_t sequence_length(std::string_view text, std::size_t pos);

// The code point of the well-formed sequence of `length` bytes at text[pos].
char32_t decode(std::string_view text, std::size_t pos, std::size_t length);

void append(std::string& out, char32_t code_point);

bool is_ascii(std::string_view text);

// The Unicode White_Space property (what Rust's char::is_whitespace answers).
bool is_whitespace(char32_t code_point);

}  // namespace claw::text::utf8
