// Rotary position embeddings in HF's rotate-half layout, with Llama 3.1's frequency scaling.
#pragma once

#include <torch/types.h>

#include "model/config.h"

namespace claw::model {

// [head_dim / 2] float32 inverse frequencies, computed as HF computes them (float32 throughout).
torch::Tensor rope_inverse_frequencies(const ModelConfig& config);

struct RopeAngles {
  torch::Tensor cos;  // [B, 1, T, head_dim], in the compute dtype
  // sin with rotate_half's sign folded in: -sin over the first half, sin over the second, so
  // applying the rotation is one swap of halves and one multiply-add.
  torch::Tensor signed_sin;
};

// Angles for integer `positions` [B, T]; shared by every layer of one forward pass.
RopeAngles rope_angles(const torch::Tensor& inverse_frequencies, const torch::Tensor& positions,
                       torch::ScalarType dtype);

// x [B, heads, T, head_dim]: x·cos + rotate_half(x)·sin, as HF computes it (rotate_half(x)·sin
// equals swap_halves(x)·signed_sin exactly: negation is exact).
torch::Tensor apply_rope(const torch::Tensor& x, const RopeAngles& angles);

}  // namespace claw::model
