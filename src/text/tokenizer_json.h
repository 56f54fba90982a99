// Reading a HuggingFace tokenizer.json (byte-level BPE) and the tokenizer_config.json beside it.
#pragma once

#include <filesystem>
#include <memory>

#include "core/json.h"
#include "text/byte_level_bpe_tokenizer.h"

namespace claw::text {

// Every section that changes the ids is read; a feature claw does not implement is refused with
// a message naming the file and the feature, never ignored. BOS and EOS come from
// tokenizer_config.json beside the file when it names them, else BOS from the post-processor's
// template.
std::unique_ptr<ByteLevelBpeTokenizer> read_tokenizer_json(const std::filesystem::path& path);

// The same from a tokenizer.json held in memory, with the tokenizer_config.json beside it (null
// when there is none); errors name `source` and `config_source`.
std::unique_ptr<ByteLevelBpeTokenizer> tokenizer_from_json(const Json& root, const Json& config,
                                                           const std::string& source,
                                                           const std::string& config_source);

}  // namespace claw::text
