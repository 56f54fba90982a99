// Causal grouped-query attention: the part of the decoder whose cost grows with the context.
#pragma once

#include <torch/types.h>

#include <cstdint>

namespace claw::model {

// Additive mask [B, 1, 1, T, S] float32 for T queries that follow `past` cached keys: 0 where
// query t may attend to key s (causal order, keys marked in `key_valid` [B, S] only), -inf
// elsewhere. Each query may always see its own slot, so a padding query still has one finite
// score (its output is never used) instead of a row of -inf that would make NaNs.
torch::Tensor attention_bias(const torch::Tensor& key_valid, std::int64_t past, std::int64_t steps);

// Several continuations of one prompt packed into one row: segment 0 is a prefix every later
// token of the row may see, and a token of segment k > 0 sees the prefix and the earlier tokens
// of segment k only, so each continuation is computed as if it followed the prompt alone.
struct PackedAttention {
  torch::Tensor bias;       // [B, 1, 1, T, T] as attention_bias() makes
  torch::Tensor positions;  // [B, T] int64: the RoPE position of each token in its own sequence
};

// `valid` [B, T] bool marks real tokens (padding is seen by nobody); `segments` [B, T] int64.
PackedAttention packed_attention(const torch::Tensor& valid, const torch::Tensor& segments);

// softmax(q kᵀ / √d + bias) v with HF's precisions: scores in the model dtype, the masked
// softmax in float32. q [B, H, T, d]; k, v [B, KV, past + T, d] with KV dividing H; bias from
// attention_bias(), or undefined where every query may see every key (one query after a cache
// without padding). Returns [B, T, H, d], not always contiguous.
//
// Queries are processed `query_block` at a time (0: as many as keep one block's scores near
// 16 MB), and each block reads only the keys up to its last query, so the causal upper
// triangle is never computed and the scores stay in cache. The block size changes only the
// matmuls' summation order, never which terms are summed.
torch::Tensor attention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                        const torch::Tensor& bias, std::int64_t query_block = 0);

}  // namespace claw::model
