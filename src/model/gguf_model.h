// How claw's models map onto GGUF's `llama` and `qwen2` architectures, as llama.cpp reads them:
// tensor names, the metadata keys, and the config a GGUF file states (docs/formats.md).
#pragma once

#include <string>

#include "io/gguf.h"
#include "model/config.h"
#include "model/layout.h"

namespace claw::model {

// "llama" or "qwen2": general.architecture and the prefix of the model's keys.
const char* gguf_architecture(Architecture architecture);

// The GGUF name of a layout tensor (token_embd.weight, blk.N.attn_q.weight, ...); the
// shortcut matrices of a sliced model have none, and are refused.
std::string gguf_tensor_name(const TensorSpec& spec);

// llama.cpp's llama graph rotates interleaved pairs of q/k (its NORM RoPE), so a llama file
// stores those rows permuted; qwen2 uses NEOX RoPE, which is HF's half rotation.
bool gguf_permutes_qk(Architecture architecture);
bool is_gguf_qk(TensorRole role);

// The llama3 RoPE rescaling factors llama.cpp reads from rope_freqs.weight: one per rotated
// pair, dividing that pair's frequency.
std::vector<float> llama3_rope_factors(const RopeScaling& scaling, double theta,
                                       std::int64_t head_dim);

// claw's own keys, for what llama.cpp's keys cannot state exactly.
inline constexpr const char* kGgufIntermediateSizesKey = "claw.intermediate_sizes";
inline constexpr const char* kGgufRopeFactorKey = "claw.rope.llama3.factor";
inline constexpr const char* kGgufRopeLowKey = "claw.rope.llama3.low_freq_factor";
inline constexpr const char* kGgufRopeHighKey = "claw.rope.llama3.high_freq_factor";
inline constexpr const char* kGgufRopeOriginalKey = "claw.rope.llama3.original_context_length";

// The config of a GGUF file of architecture llama or qwen2. Anything claw cannot run (another
// architecture, per-layer head counts, a RoPE that is not the full head) is refused.
ModelConfig config_from_gguf(const io::GgufFile& file);

}  // namespace claw::model
