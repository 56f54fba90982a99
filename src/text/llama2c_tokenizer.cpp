#include "text/llama2c_tokenizer.h"

#include <cstdio>
#include <utility>

#include "core/error.h"
#include "text/merge_pairs.h"

namespace claw::text {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

// "<0xAB>" stands for the raw byte 0xAB.
std::optional<char> parse_byte_piece(std::string_view piece) {
  if (piece.size() != 6 || piece.substr(0, 3) != "<0x" || piece[5] != '>') return std::nullopt;
  const int high = hex_value(piece[3]), low = hex_value(piece[4]);
  if (high < 0 || low < 0) return std::nullopt;
  return static_cast<char>(high * 16 + low);
}

}  // namespace

Llama2cTokenizer::Llama2cTokenizer(io::Llama2cVocab vocab) : vocab_(std::move(vocab)) {
  CLAW_CHECK(vocab_.pieces.size() > static_cast<std::size_t>(kEos),
             "a llama2.c vocabulary needs at least <unk>, <s> and </s>");
  for (std::size_t i = 0; i < vocab_.pieces.size(); ++i) {
    ids_.emplace(vocab_.pieces[i], static_cast<std::int32_t>(i));  // the first of duplicates wins
  }
  for (int b = 0; b < 256; ++b) {
    char piece[8];
    std::snprintf(piece, sizeof piece, "<0x%02X>", b);
    byte_ids_[b] = lookup(piece);
  }
}

Llama2cTokenizer Llama2cTokenizer::from_file(const std::filesystem::path& path) {
  return Llama2cTokenizer(io::read_llama2c_tokenizer(path));
}

std::int32_t Llama2cTokenizer::lookup(std::string_view piece) const {
  const auto it = ids_.find(std::string(piece));
  return it == ids_.end() ? -1 : it->second;
}

std::int32_t Llama2cTokenizer::byte_token(unsigned char byte) const {
  return byte_ids_[byte] >= 0 ? byte_ids_[byte] : kUnk;
}

std::vector<std::int32_t> Llama2cTokenizer::encode(std::string_view text,
                                                   const EncodeOptions& options) const {
  std::vector<std::int32_t> tokens;
  if (options.add_bos) tokens.push_back(kBos);
  if (!options.parse_special) {
    encode_text(text, tokens);
    return tokens;
  }
  // SentencePiece's control tokens by name. As in llama.cpp, the text after each one starts
  // afresh, with its own dummy-prefix space.
  static constexpr std::pair<std::string_view, std::int32_t> kControl[] = {
      {"<unk>", kUnk}, {"<s>", kBos}, {"</s>", kEos}};
  std::size_t done = 0;
  for (;;) {
    std::size_t first = std::string_view::npos;
    const std::pair<std::string_view, std::int32_t>* found = nullptr;
    for (const auto& control : kControl) {
      const std::size_t at = text.find(control.first, done);
      if (at < first) first = at, found = &control;
    }
    if (found == nullptr) break;
    encode_text(text.substr(done, first - done), tokens);
    tokens.push_back(found->second);
    done = first + found->first.size();
  }
  encode_text(text.substr(done), tokens);
  return tokens;
}

void Llama2cTokenizer::encode_text(std::string_view text, std::vector<std::int32_t>& out) const {
  if (text.empty()) return;
  std::vector<std::int32_t> tokens;
  const std::int32_t space = lookup(" ");
  if (space >= 0) tokens.push_back(space);
  // One piece per UTF-8 character; continuation bytes (10xxxxxx) join their lead byte.
  for (std::size_t i = 0; i < text.size();) {
    std::size_t end = i + 1;
    while (end < text.size() && end - i < 4 &&
           (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) {
      ++end;
    }
    const std::string_view character = text.substr(i, end - i);
    const std::int32_t id = lookup(character);
    if (id >= 0) {
      tokens.push_back(id);
    } else {
      for (char byte : character) tokens.push_back(byte_token(static_cast<unsigned char>(byte)));
    }
    i = end;
  }
  // SentencePiece BPE: always the adjacent pair whose merged piece scores highest.
  std::string merged;
  merge_pairs(tokens, [&](std::int32_t left, std::int32_t right) -> std::optional<PairMerge> {
    merged = vocab_.pieces[left];
    merged += vocab_.pieces[right];
    const std::int32_t id = lookup(merged);
    if (id < 0) return std::nullopt;
    return PairMerge{-static_cast<double>(vocab_.scores[id]), id};
  });
  out.insert(out.end(), tokens.begin(), tokens.end());
}

std::string Llama2cTokenizer::decode_token(std::int32_t previous, std::int32_t token) const {
  CLAW_CHECK(token >= 0 && token < vocab_size(), "token id ", token,
             " is outside the vocabulary of ", vocab_size());
  // Control tokens mark sequence boundaries and have no text, as in SentencePiece.
  if (token == kBos || token == kEos) return {};
  std::string_view piece = vocab_.pieces[token];
  if (previous == kBos && !piece.empty() && piece.front() == ' ') piece.remove_prefix(1);
  if (const std::optional<char> byte = parse_byte_piece(piece)) return std::string(1, *byte);
  return std::string(piece);
}

}  // namespace claw::text
