// Finding and opening the tokenizer that belongs to a model.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "text/tokenizer.h"

namespace claw::text {

// Opens a tokenizer by its format: a llama2.c tokenizer .bin, a HF tokenizer.json, or the
// tokenizer in a GGUF file's metadata.
std::unique_ptr<Tokenizer> load_tokenizer(const std::filesystem::path& path);

// The tokenizer stored with a model: tokenizer.json, else tokenizer.bin, in a HF directory; for a
// llama2.c checkpoint, tokenizer.bin or llama2.c's tok<vocab_size>.bin in the same directory; a
// GGUF file is its own tokenizer.
std::optional<std::filesystem::path> find_tokenizer_beside(const std::filesystem::path& model,
                                                           std::int64_t vocab_size);

// The files that carry `tokenizer` into a model directory, with the names they take there: a
// llama2.c .bin becomes tokenizer.bin; a tokenizer.json keeps its name and brings the
// tokenizer_config.json beside it, if any. A GGUF file is refused (text/gguf_vocab.h writes its
// tokenizer out).
std::vector<std::pair<std::filesystem::path, std::string>> tokenizer_files(
    const std::filesystem::path& tokenizer);

}  // namespace claw::text
