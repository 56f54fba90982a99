// What a token costs a model, counted from the shapes of its tensors rather than its config, so
// that SliceGPT's shortcut matrices and per-layer widths are counted as they are run. The ratio
// of two models' costs is the speedup a perfect implementation would deliver.
#pragma once

#include <cstdint>

#include "model/model.h"

namespace claw::bench {

// Where a prefill applies the LM head: at every position (scoring a text) or at the last one
// only (generation, which needs the next token's logits and nothing else).
enum class LogitsAt { kEveryPosition, kLastPosition };

// Elements of the weight matrices every token is multiplied by: q, k, v, o, gate, up and down in
// every layer, and SliceGPT's shortcut maps. The LM head is counted apart.
std::int64_t layer_matmul_elements(const model::Model& model);

// FLOPs per token of a prefill of `seq` tokens, counting a multiply-add as 2 FLOPs:
//   2 · layer_matmul_elements
// + 2 · 2 · Σ_layers q_dim · (seq + 1) / 2 (scores Q·Kᵀ and the weighted sum P·V: the t-th
//                                          token sees t keys, (seq + 1) / 2 on average; the
//                                          decoder skips the causal upper triangle; each
//                                          layer's q_dim is its own query heads · head_dim)
// + 2 · head width · vocab                 (the LM head, per position it is applied at)
// Biases, norms, RoPE, softmax and the embedding lookup are elementwise and left out.
double prefill_flops_per_token(const model::Model& model, std::int64_t seq, LogitsAt logits);

// The speedups a perfect implementation would get from the shapes alone: prefill FLOPs of the
// base over the model's per token (logits at the last position, as generation needs), and decode
// bytes read per token likewise.
double ideal_prefill_speedup(const model::Model& base, const model::Model& model,
                             std::int64_t prompt);
double ideal_decode_speedup(const model::Model& base, const model::Model& model);

// Bytes of every tensor the model holds.
std::int64_t weight_bytes(const model::Model& model);

// Bytes of weights one decode step reads, which bounds its speed at small batches: every tensor
// but the token embedding, of which a step reads one row, unless it is also the LM head.
std::int64_t decode_bytes_per_token(const model::Model& model);

// Tensor memory a generation request needs beyond the weights, from the config alone (before a
// model is loaded): the KV cache of prompt + decode positions, and the activations of one prefill
// layer at their largest, with float32 norms and the last position's logits. An estimate for
// refusing what cannot fit, not a measurement; TensorMemoryMeter measures.
std::int64_t generation_working_bytes_estimate(const model::ModelConfig& config,
                                               std::int64_t element_size, std::int64_t batch,
                                               std::int64_t prompt, std::int64_t decode);

}  // namespace claw::bench
