// Byte-level BPE as HF tokenizers runs it for Qwen2 and Llama-3: added tokens are split out of the
// raw text, each stretch between them is normalized, split into words by the pre-tokenizer and
// each word encoded by BPE over its bytes.
#pragma once

#include "text/added_tokens.h"
#include "text/bpe.h"
#include "text/normalizer.h"
#include "text/pretokenizer.h"
#include "text/tokenizer.h"

namespace claw::text {

class ByteLevelBpeTokenizer final : public Tokenizer {
 public:
  struct Parts {
    Normalizer normalizer;
    PreTokenizer pre_tokenizer;
    BpeModel model;
    AddedTokenMatcher added_tokens;
    std::optional<std::int32_t> bos, eos;
    bool adds_bos = false;  // the post-processor puts BOS first, unless the config says not to
  };
  explicit ByteLevelBpeTokenizer(Parts parts);

  std::vector<std::int32_t> encode(std::string_view text,
                                   const EncodeOptions& options) const override;
  // Added tokens decode to their text, special ones included, so that decoding what was encoded
  // with parse_special gives the input back.
  std::string decode_token(std::int32_t previous, std::int32_t token) const override;
  std::int64_t vocab_size() const override { return static_cast<std::int64_t>(texts_.size()); }
  std::optional<std::int32_t> bos_id() const override { return parts_.bos; }
  std::optional<std::int32_t> eos_id() const override { return parts_.eos; }
  bool adds_bos_by_default() const override { return parts_.adds_bos && parts_.bos; }

 private:
  void encode_plain(std::string_view text, std::vector<std::int32_t>& ids) const;

  Parts parts_;
  // The bytes of every id, BPE tokens and added tokens alike; nullptr where no token has the id.
  std::vector<const std::string*> texts_;
};

}  // namespace claw::text
