// Tokenizers in GGUF metadata (tokenizer.ggml.*), as llama.cpp reads them: a byte-level BPE
// tokenizer.json as model "gpt2" with its pre-tokenizer's name (qwen2, llama-bpe), a llama2.c
// vocabulary as model "llama" (SentencePiece pieces with scores). And back: the tokenizer a
// GGUF file carries, built by claw's own tokenizer classes.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "io/gguf.h"
#include "text/tokenizer.h"

namespace claw::text {

// llama.cpp's token types.
enum class GgufTokenType : std::int32_t {
  kNormal = 1,
  kUnknown = 2,
  kControl = 3,
  kUserDefined = 4,
  kUnused = 5,
  kByte = 6,
};

// The tokenizer.ggml.* keys for the tokenizer file `tokenizer` (tokenizer.json, a llama2.c .bin,
// or a GGUF file whose keys are copied), listing `model_vocab` tokens: ids the tokenizer lacks
// are unused [PAD<id>] tokens. `model_bos` stands in for a tokenizer without BOS (llama.cpp
// expects one). A pre-tokenizer llama.cpp does not know by name is refused.
io::GgufMetadata gguf_tokenizer_metadata(const std::filesystem::path& tokenizer,
                                         std::int64_t model_vocab,
                                         std::optional<std::int64_t> model_bos);

// The tokenizer of a GGUF file's metadata.
std::unique_ptr<Tokenizer> tokenizer_from_gguf(const io::GgufFile& file);

// The files that carry a GGUF file's tokenizer into a HF directory (name, contents):
// tokenizer.json and tokenizer_config.json, or a llama2.c tokenizer.bin.
std::vector<std::pair<std::string, std::string>> gguf_tokenizer_files(const io::GgufFile& file);

}  // namespace claw::text
