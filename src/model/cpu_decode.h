// claw's CPU decode step: one new token for each of 1 to 8 sequences after a KV cache, computed
// by claw's own loops instead of LibTorch's operators. A step of the operator path dispatches a
// few hundred operators whose fixed costs exceed the arithmetic of a small model and add a
// third to a large one's; this one makes one pass over the weights, each product a threaded
// matrix-vector kernel (model/matvec.h) that streams its weights once, with q|k|v and gate|up
// each read in one pass, and the norms, RoPE, attention over the cache, SiLU·up and the
// residuals as plain loops over a workspace that the cache keeps for the request.
//
// It computes what decoder.cpp's forward() computes, and forward() takes it by itself wherever
// it applies (below); GPU work and training keep the operator path.
#pragma once

#include <torch/types.h>

#include "model/kv_cache.h"
#include "model/model.h"

namespace claw::model {

// Whether cpu_decode_step() can run forward(model, tokens, valid, cache): one token per
// sequence after a cache, all real (no `valid`), for at most kMaxMatvecBatch sequences; a CPU
// model in float32 or bf16 whose tensors are contiguous, with no adapters attached; and no
// gradient wanted.
bool cpu_decode_applies(const Model& model, const torch::Tensor& tokens, const torch::Tensor& valid,
                        const KvCache* cache);

// forward(model, tokens [B, 1], {}, &cache): logits [B, 1, vocab] in the model's dtype, with
// the tokens' keys and values appended to the cache and committed. In bf16 every value is
// rounded where the operator path stores a bf16 tensor, so the two differ by the rounding of
// the few places that path also rounds (the attention's scores and weights) and the order of
// sums, not by a drift of many.
torch::Tensor cpu_decode_step(const Model& model, const torch::Tensor& tokens, KvCache& cache);

}  // namespace claw::model
