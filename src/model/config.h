// The architecture of a decoder-only model: the fields of HF's LlamaForCausalLM and
// Qwen2ForCausalLM configs that change the computation, plus per-layer MLP widths and KV heads
// (zero where sublayer pruning removed a layer's attention or MLP).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/json.h"
#include "io/llama2c.h"

namespace claw::model {

enum class Architecture { kLlama, kQwen2 };

std::string architecture_name(Architecture arch);  // the HF class name

// Llama 3.1's frequency-dependent RoPE rescaling ("rope_type": "llama3").
struct RopeScaling {
  double factor = 1;
  double low_freq_factor = 1;
  double high_freq_factor = 4;
  std::int64_t original_max_position_embeddings = 8192;
  bool operator==(const RopeScaling&) const = default;
};

// SliceGPT's sliced residual stream (docs/formats.md). The stream's width changes along the
// model, each block adds a shortcut matrix that maps its input into its output's basis, and the
// norms still divide Σx² by the original hidden_size.
struct ResidualSlicing {
  // 2·layers + 1 widths: the embedding's, then after each layer's attention block and after
  // its MLP block. The last is the width the final norm and the head see.
  std::vector<std::int64_t> widths;
  bool operator==(const ResidualSlicing&) const = default;
};

struct ModelConfig {
  Architecture architecture = Architecture::kLlama;
  std::int64_t vocab_size = 0;
  std::int64_t hidden_size = 0;
  std::int64_t num_layers = 0;
  // The widest layer's attention heads (as loaded; pruning may leave layers narrower). Their
  // ratio is the GQA group size, which pruning whole KV groups never changes.
  std::int64_t num_heads = 0;
  std::int64_t num_kv_heads = 0;
  std::int64_t head_dim = 0;
  // One entry per layer; they differ only after non-uniform pruning. 0: the layer has no MLP
  // (its residual passes unchanged), as sublayer pruning leaves it.
  std::vector<std::int64_t> intermediate_sizes;
  // Each layer's KV heads, one entry per layer, each 0..num_kv_heads; layer l has
  // kv_heads[l] · group_size() query heads. They differ only after pruning KV groups; 0: the
  // layer has no attention.
  std::vector<std::int64_t> kv_heads;
  double rms_norm_eps = 1e-6;
  double rope_theta = 10000;
  std::optional<RopeScaling> rope_scaling;
  std::int64_t max_position_embeddings = 2048;
  bool tie_word_embeddings = false;
  bool qkv_bias = false;  // Qwen2 always; Llama when attention_bias is set
  // Llama's attention_bias also covers o_proj; either architecture may carry an o_proj bias
  // apart from q/k/v's (claw.o_bias), as compression adds one to compensate removed heads.
  bool o_bias = false;
  bool mlp_bias = false;  // gate, up and down; Llama's mlp_bias, or claw.mlp_bias for Qwen2
  std::optional<std::int64_t> bos_token_id;
  std::vector<std::int64_t> eos_token_ids;
  std::optional<ResidualSlicing> slicing;
  // Keys of the source config.json that claw does not interpret, kept so a converted model
  // still carries them (transformers_version, initializer_range, ...).
  Json passthrough = Json::object();

  bool operator==(const ModelConfig&) const = default;
  bool uniform_mlp() const;
  // Whether layer `layer` still has its attention (its MLP): sublayer pruning removes either.
  bool has_attention(std::int64_t layer) const { return layer_kv_heads(layer) > 0; }
  bool has_mlp(std::int64_t layer) const {
    return intermediate_sizes.at(static_cast<std::size_t>(layer)) > 0;
  }
  // Whether any layer lacks its attention or its MLP.
  bool has_removed_sublayers() const;
  // Whether every layer has the same number of heads, so plain HF keys can state them.
  bool uniform_attention() const;
  // The residual stream's width at point `i` of ResidualSlicing::widths (hidden_size unsliced).
  std::int64_t residual_width(std::int64_t i) const {
    return slicing ? slicing->widths.at(static_cast<std::size_t>(i)) : hidden_size;
  }
  // Query heads per KV head.
  std::int64_t group_size() const { return num_heads / num_kv_heads; }
  std::int64_t layer_kv_heads(std::int64_t layer) const {
    return kv_heads.at(static_cast<std::size_t>(layer));
  }
  std::int64_t layer_heads(std::int64_t layer) const {
    return layer_kv_heads(layer) * group_size();
  }
  // Widths of layer `layer`'s queries (q_proj's rows, o_proj's columns) and of its keys and
  // values (k_proj's and v_proj's rows).
  std::int64_t layer_q_dim(std::int64_t layer) const { return layer_heads(layer) * head_dim; }
  std::int64_t layer_kv_dim(std::int64_t layer) const { return layer_kv_heads(layer) * head_dim; }
};

// Reads a HF config.json; anything that would change the computation in a way claw does not
// implement (another architecture, activation, RoPE variant, sliding window) is refused.
ModelConfig config_from_hf(const Json& json, const std::string& source);

// The config.json of a model with this architecture, stored as `torch_dtype`. What plain HF keys
// cannot state (per-layer widths or heads, a sliced residual, biases the architecture's keys
// do not cover) goes into a `claw` section (docs/formats.md); a model without any of it has
// none, and loads in any HF-compatible tool.
Json config_to_hf(const ModelConfig& config, const std::string& torch_dtype);

// The Llama-2 architecture llama2.c trains: RMSNorm eps 1e-5, RoPE theta 10000, BOS 1, EOS 2.
ModelConfig config_from_llama2c(const io::Llama2cHeader& header);

// Checks the internal consistency of the sizes; errors name `source`.
void validate_config(const ModelConfig& config, const std::string& source);

}  // namespace claw::model
