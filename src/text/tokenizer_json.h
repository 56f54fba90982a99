// Reading a HuggingFace tokenizer.json (byte-level BPE) and the tokenizer_config.json beside it.
#pragma once

#include <filesystem>
#include <memory>

#include "text/byte_level_bpe_tokenizer.h"

namespace claw::text {

// Every section that changes the ids is read; a feature claw does not implement is refused with
// a message naming the file and the feature, never ignored. BOS and EOS come from
// tokenizer_config.json beside the file when it names them, else BOS from the post-processor's
// template.
std::unique_ptr<ByteLevelBpeTokenizer> read_tokenizer_json(const std::filesystem::path& path);

}  // namespace claw::text
