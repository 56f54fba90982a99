// The Unicode normalization a tokenizer.json declares (NFC for Qwen), applied before splitting.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/json.h"

namespace claw::text {

class Normalizer {
 public:
  enum class Form { kNfc, kNfd, kNfkc, kNfkd };

  Normalizer() = default;  // the identity
  explicit Normalizer(std::vector<Form> forms) : forms_(std::move(forms)) {}

  // The "normalizer" node of a tokenizer.json: null, NFC, NFD, NFKC, NFKD or a Sequence of them;
  // anything else is refused, naming `source`.
  static Normalizer from_json(const Json& node, const std::string& source);

  bool is_identity() const { return forms_.empty(); }

  // `text` normalized. Bytes that are not valid UTF-8 pass through unchanged, so byte-level
  // tokenizers still encode (and decode back) any input exactly.
  std::string apply(std::string_view text) const;

 private:
  std::vector<Form> forms_;
};

}  // namespace claw::text
