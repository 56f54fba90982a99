// How claw's models map onto GGUF's `llama`, `qwen2` and `deci` architectures, as llama.cpp
// reads them: what each architecture can state, tensor names, the metadata keys, and the config
// a GGUF file states (docs/formats.md).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "io/gguf.h"
#include "model/config.h"
#include "model/layout.h"

namespace claw::model {

enum class GgufArchitecture { kLlama, kQwen2, kDeci };

// What llama.cpp's loader and graph for one architecture can run, as data.
struct GgufArchitectureInfo {
  GgufArchitecture id;
  const char* name;        // general.architecture and the prefix of its keys
  bool interleaved_rope;   // llama.cpp's NORM RoPE: q/k rows are stored as interleaved pairs
  bool per_layer_shapes;   // head counts and FFN widths per layer, 0 for a missing sublayer
  bool projection_biases;  // o_proj and MLP biases are read when present
  bool any_query_width;    // heads · head_dim may differ from the hidden size
};
const GgufArchitectureInfo& gguf_architecture_info(GgufArchitecture architecture);
std::optional<GgufArchitecture> find_gguf_architecture(std::string_view name);
// The architecture a model of `architecture` is written as when its layers are alike.
GgufArchitecture uniform_gguf_architecture(Architecture architecture);

// How a model's layers are stored in one GGUF file: the architecture, and each layer's KV heads
// and FFN width as written. Those exceed the model's own where the file is padded with zero KV
// groups or channels, which change no output (docs/formats.md).
struct GgufLayout {
  GgufArchitecture architecture = GgufArchitecture::kLlama;
  std::vector<std::int64_t> kv_heads;
  std::vector<std::int64_t> ffn_widths;

  const GgufArchitectureInfo& info() const { return gguf_architecture_info(architecture); }
  // `config` with the stored head counts and widths: its tensor_layout() names the file's
  // tensors with their stored shapes.
  ModelConfig stored_config(const ModelConfig& config) const;
};

// The GGUF name of a layout tensor (token_embd.weight, blk.N.attn_q.weight, ...); the
// shortcut matrices of a sliced model have none, and are refused.
std::string gguf_tensor_name(const TensorSpec& spec);

// The q/k projections, whose rows an architecture with interleaved RoPE stores permuted.
bool is_gguf_qk(TensorRole role);

// The llama3 RoPE rescaling factors llama.cpp reads from rope_freqs.weight: one per rotated
// pair, dividing that pair's frequency.
std::vector<float> llama3_rope_factors(const RopeScaling& scaling, double theta,
                                       std::int64_t head_dim);

// claw's own keys, for what llama.cpp's keys cannot state exactly: the model's widths and KV
// heads where the file pads them, and the HF class of a model written as deci.
inline constexpr const char* kGgufIntermediateSizesKey = "claw.intermediate_sizes";
inline constexpr const char* kGgufKvHeadsKey = "claw.kv_heads";
inline constexpr const char* kGgufHfArchitectureKey = "claw.hf_architecture";
inline constexpr const char* kGgufRopeFactorKey = "claw.rope.llama3.factor";
inline constexpr const char* kGgufRopeLowKey = "claw.rope.llama3.low_freq_factor";
inline constexpr const char* kGgufRopeHighKey = "claw.rope.llama3.high_freq_factor";
inline constexpr const char* kGgufRopeOriginalKey = "claw.rope.llama3.original_context_length";

// The model a GGUF file of architecture llama, qwen2 or deci holds, and how it is stored there.
// Anything claw cannot run (another architecture, deci's linear attention, a RoPE that is not
// the full head) is refused.
struct GgufModelConfig {
  ModelConfig config;
  GgufLayout layout;
};
GgufModelConfig config_from_gguf(const io::GgufFile& file);

}  // namespace claw::model
