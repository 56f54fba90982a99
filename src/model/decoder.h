// The decoder forward pass: HF Llama/Qwen2 semantics on LibTorch, batched with padding masks and
// incremental with a KV cache. Differentiable, so recovery fine-tuning trains through it.
#pragma once

#include <torch/types.h>

#include <functional>
#include <vector>

#include "model/kv_cache.h"
#include "model/layered_model.h"
#include "model/model.h"
#include "model/rope.h"

namespace claw::model {

struct ForwardOptions {
  // Compute logits for the last column only (what generation needs), not for every position.
  bool last_position_only = false;
  // [B, T] int64: pack several continuations of one prompt into each row (packed_attention() in
  // model/attention.h). Not with a KV cache.
  torch::Tensor segments{};
  // Training: keep only each layer's input for the backward pass, which runs the layer again
  // (with the same dropout draws) to get its activations: activation memory of one layer instead
  // of every layer's, for a third more arithmetic. Not with a KV cache.
  bool recompute_layers = false;
  // Run a CPU decode step through LibTorch's operators even where claw's own decode loops
  // (model/cpu_decode.h) would take it: the reference those loops are checked against.
  bool operators_only = false;
};

// tokens [B, T] int64. `valid` [B, T] bool marks real tokens (undefined: all real); padding may
// sit anywhere, and a real token's RoPE position counts only the real tokens before it, so
// left-padded batches give every sequence the positions it would have alone. With `cache`, the
// tokens follow the cached ones and their keys and values are appended to it.
// Returns logits [B, T, vocab] (or [B, 1, vocab]) in the model's dtype.
torch::Tensor forward(const Model& model, const torch::Tensor& tokens,
                      const torch::Tensor& valid = {}, KvCache* cache = nullptr,
                      const ForwardOptions& options = {});

// What forward() feeds the LM head: the final-normalised hidden states [B, T, hidden]. Scoring
// long sequences applies the head to a few positions at a time instead of holding [B, T, vocab]
// logits (1.2 GB for one 2048-token window of Qwen's 151,936-token vocabulary).
torch::Tensor final_hidden_states(const Model& model, const torch::Tensor& tokens,
                                  const torch::Tensor& valid = {}, KvCache* cache = nullptr,
                                  const ForwardOptions& options = {});

// One batch of a run through a model held one layer at a time (below): tokens [B, T] int64, and,
// as forward() takes them, `valid` (ForwardOptions) and `segments` (undefined: none).
struct TokenBatch {
  torch::Tensor tokens, valid, segments;
};

// Which batches run together: the index of each pass's first batch. A pass carries the states of
// as many consecutive batches as fit in `state_bytes` (at least one): their residual streams, and
// the attention masks of those that have one. So the states of a long evaluation never outgrow
// the memory that the model itself could not have.
std::vector<std::size_t> plan_passes(const Model& model, const std::vector<TokenBatch>& batches,
                                     std::int64_t state_bytes);

// final_hidden_states() of every batch, through a model held one layer at a time: each pass of
// plan_passes() holds every layer once, in turn, and runs its batches through it, so the model
// is read once per pass. `consume` gets each batch's final-normalised states, in batch order, as
// its pass ends; they equal final_hidden_states() of the batch alone. `on_layer` hears how many
// layers are done over all passes (passes × layers in all).
void final_hidden_states(LayeredModel& model, const std::vector<TokenBatch>& batches,
                         std::int64_t state_bytes,
                         const std::function<void(std::size_t, const torch::Tensor&)>& consume,
                         const std::function<void(std::int64_t)>& on_layer = {});

// HF's RMSNorm: normalise in float32, scale by `weight` in the input dtype. `width` is what
// Σx² is divided by (0: the size of x's last dimension); a sliced residual stream is still
// normalised over the model's original width.
torch::Tensor rms_norm(const torch::Tensor& x, const torch::Tensor& weight, double eps,
                       std::int64_t width = 0);

// The pieces of forward(), for code that runs a model block by block (SliceGPT's calibration):
// h → shortcut(h, attn_shortcut) + attention_block(h) → shortcut(·, mlp_shortcut) + mlp_block(·).
struct SequenceContext {
  RopeAngles angles;
  torch::Tensor bias;  // the attention bias (model/attention.h); undefined: no mask needed
  torch::Tensor real;  // [B, T] bool: the real tokens; undefined: all of them
  std::int64_t max_position = 0;  // the largest RoPE position of the tokens, on the host
};
SequenceContext sequence_context(const Model& model, const torch::Tensor& tokens,
                                 const torch::Tensor& valid = {}, KvCache* cache = nullptr,
                                 const ForwardOptions& options = {});
// A layer's attention block without its residual: o(attention(norm(h))).
torch::Tensor attention_block(const Model& model, std::size_t layer, const torch::Tensor& h,
                              const SequenceContext& context, KvCache* cache = nullptr);
// What o_proj reads: the attention heads' outputs side by side, [B, T, heads·head_dim].
torch::Tensor attention_heads(const Model& model, std::size_t layer, const torch::Tensor& h,
                              const SequenceContext& context, KvCache* cache = nullptr);
// A layer's MLP block without its residual: down(silu(gate(norm(h))) · up(norm(h))).
torch::Tensor mlp_block(const Model& model, std::size_t layer, const torch::Tensor& h);
// What down_proj reads: silu(gate(norm(h))) · up(norm(h)), [B, T, intermediate].
torch::Tensor mlp_hidden(const Model& model, std::size_t layer, const torch::Tensor& h);
// The residual path through a shortcut map [out, in]; `h` itself when the map is undefined.
torch::Tensor shortcut(const torch::Tensor& h, const torch::Tensor& map);

}  // namespace claw::model
