#include "bench/work.h"

#include <algorithm>

#include "model/layout.h"

namespace claw::bench {

std::int64_t layer_matmul_elements(const model::Model& model) {
  std::int64_t elements = 0;
  for (const model::DecoderLayer& layer : model.layers) {
    for (const model::Linear* linear :
         {&layer.q, &layer.k, &layer.v, &layer.o, &layer.gate, &layer.up, &layer.down}) {
      if (linear->weight.defined()) elements += linear->weight.numel();  // else pruned away
    }
    for (const torch::Tensor& map : {layer.attn_shortcut, layer.mlp_shortcut}) {
      if (map.defined()) elements += map.numel();
    }
  }
  return elements;
}

double prefill_flops_per_token(const model::Model& model, std::int64_t seq, LogitsAt logits) {
  const model::ModelConfig& c = model.config;
  const double layers = 2.0 * static_cast<double>(layer_matmul_elements(model));
  std::int64_t q_dims = 0;  // summed over the layers, which pruning may leave unequal
  for (std::int64_t l = 0; l < c.num_layers; ++l) q_dims += c.layer_q_dim(l);
  const double attention = 2.0 * static_cast<double>(q_dims * (seq + 1));
  const double head_per_position = 2.0 * static_cast<double>(model.head().numel());
  const double head_positions = logits == LogitsAt::kEveryPosition ? 1.0 : 1.0 / double(seq);
  return layers + attention + head_per_position * head_positions;
}

double ideal_prefill_speedup(const model::Model& base, const model::Model& model,
                             std::int64_t prompt) {
  return prefill_flops_per_token(base, prompt, LogitsAt::kLastPosition) /
         prefill_flops_per_token(model, prompt, LogitsAt::kLastPosition);
}

double ideal_decode_speedup(const model::Model& base, const model::Model& model) {
  return static_cast<double>(decode_bytes_per_token(base)) /
         static_cast<double>(decode_bytes_per_token(model));
}

std::int64_t weight_bytes(const model::Model& model) {
  std::int64_t bytes = 0;
  for (const model::TensorSpec& spec : model::tensor_layout(model.config)) {
    bytes += static_cast<std::int64_t>(model::tensor_slot(model, spec).nbytes());
  }
  return bytes;
}

std::int64_t decode_bytes_per_token(const model::Model& model) {
  const std::int64_t embedding_table =
      model.lm_head.defined() ? static_cast<std::int64_t>(model.embed.nbytes()) : 0;
  return weight_bytes(model) - embedding_table;
}

std::int64_t generation_working_bytes_estimate(const model::ModelConfig& c,
                                               std::int64_t element_size, std::int64_t batch,
                                               std::int64_t prompt, std::int64_t decode) {
  std::int64_t kv_dims = 0, widest_q = 0, widest_kv = 0;
  for (std::int64_t l = 0; l < c.num_layers; ++l) {
    kv_dims += c.layer_kv_dim(l);
    widest_q = std::max(widest_q, c.layer_q_dim(l));
    widest_kv = std::max(widest_kv, c.layer_kv_dim(l));
  }
  const std::int64_t kv_cache = 2 * kv_dims * batch * (prompt + decode);
  const std::int64_t widest_mlp =
      *std::max_element(c.intermediate_sizes.begin(), c.intermediate_sizes.end());
  // The residual and its normed copy, q, k, v, the attention output, and gate, up and their
  // product, alive together in the worst case.
  const std::int64_t layer_activations =
      batch * prompt * (2 * c.hidden_size + 2 * widest_q + 2 * widest_kv + 3 * widest_mlp);
  constexpr std::int64_t kFloat32 = 4;
  constexpr std::int64_t kAttentionScores = std::int64_t{64}
                                            << 20;  // blocks of ~16 MB, model/attention.h
  const std::int64_t float32_norm = kFloat32 * batch * prompt * c.hidden_size * 2;
  const std::int64_t logits = kFloat32 * batch * c.vocab_size * 2;
  return element_size * (kv_cache + layer_activations) + float32_norm + logits + kAttentionScores;
}

}  // namespace claw::bench
