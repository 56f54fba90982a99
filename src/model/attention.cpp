#include "model/attention.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/error.h"

namespace claw::model {
namespace {

// Float32 scores per query block. Measured on Qwen2.5-0.5B at ctx 2048 (2 cores): blocks of
// 2-8 M scores run the attention twice as fast as one block of all 117 M; smaller blocks lose
// to per-call overhead.
constexpr std::int64_t kScoresPerBlock = std::int64_t{1} << 22;
constexpr std::int64_t kMinQueryBlock = 16;

}  // namespace

namespace {

// [B, T, S] bool `allowed` (plus each query's own slot) as the additive float32 mask.
torch::Tensor additive_mask(torch::Tensor allowed) {
  const std::int64_t queries = allowed.size(1), keys = allowed.size(2);
  const auto options = torch::TensorOptions().device(allowed.device());
  const torch::Tensor self = torch::arange(keys - queries, keys, options.dtype(torch::kInt64))
                                 .unsqueeze(1)
                                 .eq(torch::arange(0, keys, options.dtype(torch::kInt64)));
  allowed = allowed | self.unsqueeze(0);
  return torch::zeros(allowed.sizes(), options.dtype(torch::kFloat32))
      .masked_fill_(allowed.logical_not(), -std::numeric_limits<float>::infinity())
      .unsqueeze(1)
      .unsqueeze(1);
}

}  // namespace

torch::Tensor attention_bias(const torch::Tensor& key_valid, std::int64_t past,
                             std::int64_t steps) {
  const auto options = torch::TensorOptions().dtype(torch::kInt64).device(key_valid.device());
  const std::int64_t keys = past + steps;
  const torch::Tensor query_slot = torch::arange(past, keys, options).unsqueeze(1);  // [T, 1]
  const torch::Tensor key_slot = torch::arange(0, keys, options).unsqueeze(0);       // [1, S]
  const torch::Tensor causal = key_slot <= query_slot;
  return additive_mask(causal.unsqueeze(0) & key_valid.unsqueeze(1));
}

PackedAttention packed_attention(const torch::Tensor& valid, const torch::Tensor& segments) {
  const std::int64_t steps = valid.size(1);
  const auto options = torch::TensorOptions().dtype(torch::kInt64).device(valid.device());
  const torch::Tensor slot = torch::arange(0, steps, options);
  const torch::Tensor causal = slot.unsqueeze(0) <= slot.unsqueeze(1);  // [T query, S key]
  const torch::Tensor key_segment = segments.unsqueeze(1), query_segment = segments.unsqueeze(2);
  const torch::Tensor allowed = causal.unsqueeze(0) & valid.unsqueeze(1) &
                                (key_segment.eq(0) | key_segment.eq(query_segment));
  // A real token's position is the number of real tokens it sees before itself.
  const torch::Tensor positions =
      (allowed.sum(2) - 1).clamp_min(0).masked_fill(valid.logical_not(), 0);
  return {additive_mask(allowed), positions};
}

torch::Tensor attention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                        const torch::Tensor& bias, std::int64_t query_block) {
  const std::int64_t batch = q.size(0), heads = q.size(1), steps = q.size(2), dim = q.size(3);
  const std::int64_t kv_heads = k.size(1), keys = k.size(2), group = heads / kv_heads;
  const std::int64_t past = keys - steps;
  CLAW_CHECK(heads % kv_heads == 0 && past >= 0, "attention: ", heads, " query heads over ",
             kv_heads, " KV heads, ", steps, " queries over ", keys, " keys");
  CLAW_CHECK(query_block >= 0, "attention: negative query block ", query_block);
  if (query_block == 0) {
    query_block = std::max(kMinQueryBlock, kScoresPerBlock / (batch * heads * keys));
  }
  const double scale = 1 / std::sqrt(static_cast<double>(dim));
  // Several blocks are gathered into one buffer; a single block (every decode step) is returned
  // as it is, transposed, without a copy.
  torch::Tensor out = query_block >= steps ? torch::Tensor()
                                           : torch::empty({batch, steps, heads, dim}, q.options());
  for (std::int64_t first = 0; first < steps; first += query_block) {
    const std::int64_t rows = std::min(query_block, steps - first);
    const std::int64_t visible = past + first + rows;
    // The query heads that share a KV head are folded into the row dimension of one matmul
    // against that head's keys, so keys are never copied per query head. Scaling q costs
    // rows·d multiplies; scaling the scores would cost rows·keys.
    const torch::Tensor grouped_q =
        (q.narrow(2, first, rows) * scale).reshape({batch, kv_heads, group * rows, dim});
    // The scores are a fresh temporary (or its float32 copy), so the bias is added in place.
    // float32 at least, float64 for float64 inputs (the gradient tests).
    torch::Tensor scores = at::matmul(grouped_q, k.narrow(2, 0, visible).transpose(-1, -2))
                               .to(at::promote_types(q.scalar_type(), torch::kFloat32));
    scores = scores.view({batch, kv_heads, group, rows, visible});
    if (bias.defined()) scores.add_(bias.narrow(3, first, rows).narrow(4, 0, visible));
    const torch::Tensor probs = at::softmax(scores, -1).to(q.scalar_type());
    const torch::Tensor block =
        at::matmul(probs.view({batch, kv_heads, group * rows, visible}), v.narrow(2, 0, visible));
    const torch::Tensor heads_last = block.view({batch, heads, rows, dim}).transpose(1, 2);
    if (!out.defined()) return heads_last;
    out.narrow(1, first, rows).copy_(heads_last);
  }
  return out;
}

}  // namespace claw::model
