#include "model/decoder.h"

#include <ATen/ATen.h>

#include "core/error.h"
#include "model/attention.h"
#include "model/rope.h"

namespace claw::model {

torch::Tensor rms_norm(const torch::Tensor& x, const torch::Tensor& weight, double eps) {
  const torch::Tensor x32 = x.to(torch::kFloat32);
  const torch::Tensor normed = x32 * at::rsqrt(x32.pow(2).mean(-1, /*keepdim=*/true) + eps);
  return weight * normed.to(x.scalar_type());
}

torch::Tensor final_hidden_states(const Model& model, const torch::Tensor& tokens,
                                  const torch::Tensor& valid, KvCache* cache,
                                  const ForwardOptions& options) {
  const ModelConfig& c = model.config;
  CLAW_CHECK(tokens.dim() == 2, "forward expects tokens of shape [batch, steps]");
  const std::int64_t batch = tokens.size(0), steps = tokens.size(1);
  const std::int64_t past = cache ? cache->length() : 0;
  CLAW_CHECK(!cache || cache->batch() == batch, "the KV cache was made for batch ", cache->batch(),
             ", got ", batch);
  const torch::Tensor real =
      valid.defined() ? valid.to(torch::kBool)
                      : torch::ones({batch, steps}, tokens.options().dtype(torch::kBool));

  // RoPE positions count the real tokens a token sees, so padding anywhere leaves each
  // sequence the positions it would have alone; padding gets position 0 (its output is unused).
  torch::Tensor positions, bias;
  if (options.segments.defined()) {
    CLAW_CHECK(!cache, "packed segments cannot extend a KV cache");
    PackedAttention packed = packed_attention(real, options.segments);
    positions = std::move(packed.positions);
    bias = std::move(packed.bias);
  } else {
    positions = real.to(torch::kInt64).cumsum(1) - 1;
    if (cache) positions = positions + cache->next_position().unsqueeze(1);
    positions = positions.masked_fill(real.logical_not(), 0);
    bias = attention_bias(cache ? torch::cat({cache->valid(), real}, 1) : real, past, steps);
  }
  const std::int64_t max_position = positions.max().item<std::int64_t>();
  CLAW_CHECK(max_position < c.max_position_embeddings, "position ", max_position,
             " is past the model's context of ", c.max_position_embeddings, " tokens");

  const RopeAngles angles = rope_angles(rope_inverse_frequencies(c), positions, model.dtype());

  torch::Tensor h = at::embedding(model.embed, tokens);
  for (std::size_t i = 0; i < model.layers.size(); ++i) {
    const DecoderLayer& layer = model.layers[i];
    const torch::Tensor x = rms_norm(h, layer.attn_norm, c.rms_norm_eps);
    auto split_heads = [&](const torch::Tensor& t, std::int64_t heads) {
      return t.view({batch, steps, heads, c.head_dim}).transpose(1, 2);
    };
    const torch::Tensor q = apply_rope(split_heads(layer.q(x), c.num_heads), angles);
    torch::Tensor k = apply_rope(split_heads(layer.k(x), c.num_kv_heads), angles);
    torch::Tensor v = split_heads(layer.v(x), c.num_kv_heads);
    if (cache) std::tie(k, v) = cache->append(static_cast<std::int64_t>(i), k, v);
    const torch::Tensor attended = attention(q, k, v, bias).view({batch, steps, c.q_dim()});
    h = h + layer.o(attended);
    const torch::Tensor y = rms_norm(h, layer.mlp_norm, c.rms_norm_eps);
    h = h + layer.down(at::silu(layer.gate(y)) * layer.up(y));
  }
  if (cache) cache->commit(real);
  if (options.last_position_only) h = h.narrow(1, steps - 1, 1);
  return rms_norm(h, model.final_norm, c.rms_norm_eps);
}

torch::Tensor forward(const Model& model, const torch::Tensor& tokens, const torch::Tensor& valid,
                      KvCache* cache, const ForwardOptions& options) {
  return project(final_hidden_states(model, tokens, valid, cache, options), model.head());
}

}  // namespace claw::model
