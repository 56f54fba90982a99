// SentencePiece-style BPE as llama2.c runs it: a dummy-prefix space, one piece per UTF-8
// character (bytes as <0xXX> when the character is not in the vocabulary), then repeated merges
// of the adjacent pair whose merged piece has the highest score.
#pragma once

#include <filesystem>
#include <string>
#include <unordered_map>

#include "io/llama2c.h"
#include "text/tokenizer.h"

namespace claw::text {

class Llama2cTokenizer final : public Tokenizer {
 public:
  explicit Llama2cTokenizer(io::Llama2cVocab vocab);
  static Llama2cTokenizer from_file(const std::filesystem::path& path);

  std::vector<std::int32_t> encode(std::string_view text,
                                   const EncodeOptions& options) const override;
  std::string decode_token(std::int32_t previous, std::int32_t token) const override;
  std::int64_t vocab_size() const override {
    return static_cast<std::int64_t>(vocab_.pieces.size());
  }
  std::optional<std::int32_t> bos_id() const override { return kBos; }
  std::optional<std::int32_t> eos_id() const override { return kEos; }
  // SentencePiece Llama tokenizers add BOS by default (HF LlamaTokenizer's add_bos_token=True).
  bool adds_bos_by_default() const override { return true; }

 private:
  // llama2.c's fixed ids: <unk>, <s>, </s> come first in every exported vocabulary.
  static constexpr std::int32_t kUnk = 0, kBos = 1, kEos = 2;

  // Appends the tokens of `text` (no control tokens in it), dummy prefix first.
  void encode_text(std::string_view text, std::vector<std::int32_t>& out) const;
  std::int32_t lookup(std::string_view piece) const;
  std::int32_t byte_token(unsigned char byte) const;

  io::Llama2cVocab vocab_;
  std::unordered_map<std::string, std::int32_t> ids_;
  std::int32_t byte_ids_[256];
};

}  // namespace claw::text
