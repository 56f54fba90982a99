// GPT-2's byte-level alphabet: every byte stands for one printable Unicode character, so a
// byte-level BPE vocabulary can be stored as text. claw converts the vocabulary back to raw bytes
// once at load time and runs BPE on bytes.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace claw::text {

// The character that stands for `byte` ('!'..'~', '¡'..'¬' and '®'..'ÿ' stand for themselves; the
// other 68 bytes take U+0100 upwards in byte order, e.g. ' ' is 'Ġ').
char32_t byte_level_char(unsigned char byte);

// The raw bytes a byte-level token's text stands for, or nothing when it holds a character
// outside the alphabet or is not valid UTF-8.
std::optional<std::string> byte_level_decode(std::string_view token_text);

// The token text of raw bytes (the inverse of byte_level_decode).
std::string byte_level_encode(std::string_view bytes);

}  // namespace claw::text
