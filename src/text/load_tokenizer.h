// Finding and opening the tokenizer that belongs to a model.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>

#include "text/tokenizer.h"

namespace claw::text {

// Opens a tokenizer by its format: a llama2.c tokenizer .bin or a HF tokenizer.json.
std::unique_ptr<Tokenizer> load_tokenizer(const std::filesystem::path& path);

// The tokenizer stored with a model: tokenizer.json, else tokenizer.bin, in a HF directory; for a
// llama2.c checkpoint, tokenizer.bin or llama2.c's tok<vocab_size>.bin in the same directory.
std::optional<std::filesystem::path> find_tokenizer_beside(const std::filesystem::path& model,
                                                           std::int64_t vocab_size);

}  // namespace claw::text
