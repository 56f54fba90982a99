// One interface for every tokenizer claw reads.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace claw::text {

struct EncodeOptions {
  bool add_bos = false;
  // Whether special-token text such as "<|endoftext|>" becomes its id (otherwise it is plain text).
  bool parse_special = false;
};

class Tokenizer {
 public:
  virtual ~Tokenizer() = default;

  virtual std::vector<std::int32_t> encode(std::string_view text,
                                           const EncodeOptions& options) const = 0;
  // The bytes `token` contributes when it follows `previous` (-1 at the start). Some formats
  // depend on the predecessor, e.g. SentencePiece drops the leading space after BOS.
  virtual std::string decode_token(std::int32_t previous, std::int32_t token) const = 0;
  std::string decode(const std::vector<std::int32_t>& ids) const;

  virtual std::int64_t vocab_size() const = 0;
  virtual std::optional<std::int32_t> bos_id() const = 0;
  virtual std::optional<std::int32_t> eos_id() const = 0;
  // Whether the HF tokenizer adds BOS when called with its defaults (add_special_tokens=True):
  // yes for Llama-2 and Llama-3, no for Qwen2.5. Evaluation protocols that defer to the
  // tokenizer (lm-evaluation-harness since 0.4.9.2) follow it.
  virtual bool adds_bos_by_default() const = 0;
};

// Whether two tokenizers give every id the same text and agree on BOS and EOS: a model trained
// on one predicts the other's tokens (distillation compares two models' distributions id by id).
bool same_vocabulary(const Tokenizer& a, const Tokenizer& b);

}  // namespace claw::text
