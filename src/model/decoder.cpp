#include "model/decoder.h"

#include <ATen/ATen.h>

#include <cmath>
#include <limits>

#include "core/error.h"
#include "model/rope.h"

namespace claw::model {
namespace {

// [B, 1, 1, T, S] float32, 0 where query t may attend to key s (causal order, real keys only)
// and -inf elsewhere; built once per forward and added to every layer's scores. Each query may
// always see its own slot, so a padding query still has one finite score (its output is never
// used) instead of a row of -inf that would make NaNs.
torch::Tensor attention_bias(const torch::Tensor& key_valid, std::int64_t past,
                             std::int64_t steps) {
  const auto options = torch::TensorOptions().dtype(torch::kInt64).device(key_valid.device());
  const std::int64_t keys = past + steps;
  const torch::Tensor query_slot = torch::arange(past, keys, options).unsqueeze(1);  // [T, 1]
  const torch::Tensor key_slot = torch::arange(0, keys, options).unsqueeze(0);       // [1, S]
  const torch::Tensor causal = key_slot <= query_slot;
  const torch::Tensor self = key_slot == query_slot;
  const torch::Tensor allowed = (causal.unsqueeze(0) & key_valid.unsqueeze(1)) | self.unsqueeze(0);
  return torch::zeros(allowed.sizes(), options.dtype(torch::kFloat32))
      .masked_fill_(allowed.logical_not(), -std::numeric_limits<float>::infinity())
      .unsqueeze(1)
      .unsqueeze(1);
}

// Grouped-query attention without copying keys: the query heads that share a KV head are folded
// into the row dimension of one matmul against that head's keys. The masked softmax runs in
// float32 whatever the model dtype, as HF's does for half-precision models.
torch::Tensor attention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                        const torch::Tensor& bias) {
  const std::int64_t batch = q.size(0), heads = q.size(1), steps = q.size(2), dim = q.size(3);
  const std::int64_t kv_heads = k.size(1), keys = k.size(2), group = heads / kv_heads;
  // Scaling q costs T·d multiplies; scaling the scores would cost T·S.
  const torch::Tensor grouped_q =
      q.reshape({batch, kv_heads, group * steps, dim}) * (1 / std::sqrt(static_cast<double>(dim)));
  // The scores are a fresh temporary (or its float32 copy), so the bias is added in place.
  torch::Tensor scores = at::matmul(grouped_q, k.transpose(-1, -2)).to(torch::kFloat32);
  scores = scores.view({batch, kv_heads, group, steps, keys}).add_(bias);
  const torch::Tensor probs = at::softmax(scores, -1).to(q.scalar_type());
  const torch::Tensor out = at::matmul(probs.view({batch, kv_heads, group * steps, keys}), v);
  return out.view({batch, heads, steps, dim});
}

}  // namespace

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

  // RoPE positions count real tokens only; padding gets position 0 (its output is unused).
  torch::Tensor positions = real.to(torch::kInt64).cumsum(1) - 1;
  if (cache) positions = positions + cache->next_position().unsqueeze(1);
  positions = positions.masked_fill(real.logical_not(), 0);
  const std::int64_t max_position = positions.max().item<std::int64_t>();
  CLAW_CHECK(max_position < c.max_position_embeddings, "position ", max_position,
             " is past the model's context of ", c.max_position_embeddings, " tokens");

  const torch::Tensor key_valid = cache ? torch::cat({cache->valid(), real}, 1) : real;
  const torch::Tensor bias = attention_bias(key_valid, past, steps);
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
    const torch::Tensor attended =
        attention(q, k, v, bias).transpose(1, 2).reshape({batch, steps, c.q_dim()});
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
