#include "text/byte_level.h"

#include <array>

#include "text/utf8.h"

namespace claw::text {
namespace {

bool stands_for_itself(int byte) {
  return (byte >= '!' && byte <= '~') || (byte >= 0xA1 && byte <= 0xAC) ||
         (byte >= 0xAE && byte <= 0xFF);
}

struct Alphabet {
  std::array<char32_t, 256> char_of_byte{};
  // The alphabet's characters all lie below U+0144, so the inverse is a small table.
  static constexpr char32_t kLimit = 0x144;
  std::array<int, kLimit> byte_of_char{};

  Alphabet() {
    byte_of_char.fill(-1);
    char32_t next_extra = 0x100;
    for (int byte = 0; byte < 256; ++byte) {
      const char32_t c = stands_for_itself(byte) ? static_cast<char32_t>(byte) : next_extra++;
      char_of_byte[byte] = c;
      byte_of_char[c] = byte;
    }
  }
};

const Alphabet& alphabet() {
  static const Alphabet instance;
  return instance;
}

}  // namespace

char32_t byte_level_char(unsigned char byte) {
  return alphabet().char_of_byte[byte];
}

std::optional<std::string> byte_level_decode(std::string_view token_text) {
  const Alphabet& table = alphabet();
  std::string bytes;
  bytes.reserve(token_text.size());
  for (std::size_t pos = 0; pos < token_text.size();) {
    const std::size_t length = utf8::sequence_length(token_text, pos);
    if (length == 0) return std::nullopt;
    const char32_t c = utf8::decode(token_text, pos, length);
    if (c >= Alphabet::kLimit || table.byte_of_char[c] < 0) return std::nullopt;
    bytes += static_cast<char>(table.byte_of_char[c]);
    pos += length;
  }
  return bytes;
}

std::string byte_level_encode(std::string_view bytes) {
  std::string text;
  for (char byte : bytes) utf8::append(text, byte_level_char(static_cast<unsigned char>(byte)));
  return text;
}

}  // namespace claw::text
