// Running a GGUF file in llama.cpp through llama_cpp_driver (tools/llama_cpp_driver), for the
// tests that check claw's GGUF exports against the real llama.cpp.
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace claw::testing {

// The driver built with the tests; empty when the build has no llama.cpp (CLAW_WITH_LLAMA_CPP
// off because scripts/setup.sh did not install it).
std::filesystem::path llama_cpp_driver();

// What a test that needs the driver reports when it is missing.
std::string llama_cpp_missing_message();

// llama.cpp's token ids for each of `texts`, with the model's BOS when `bos`; one driver call.
std::vector<std::vector<std::int32_t>> llama_cpp_tokenize(const std::filesystem::path& gguf,
                                                          const std::vector<std::string>& texts,
                                                          bool bos = false);

// llama.cpp's float32 logits of `ids` as one sequence, computed in full precision (float32 KV
// cache, no flash attention), one thread: [ids, vocab], or with `stride` K only the rows of the
// positions i with (i + 1) a multiple of K (every id still runs through the model).
torch::Tensor llama_cpp_logits(const std::filesystem::path& gguf,
                               const std::vector<std::int32_t>& ids, int stride = 1);

// `claw export MODEL OUT --out-dtype DTYPE`, with a test failure when it does not succeed.
void export_gguf(const std::string& model, const std::filesystem::path& out,
                 const std::string& dtype);

}  // namespace claw::testing
