// Drawing k of n items without replacement with probability proportional to weights, and the
// exact log-probability of the draw, which REINFORCE differentiates.
#pragma once

#include <ATen/core/Generator.h>
#include <torch/types.h>

#include <cstdint>

namespace claw::compress {

// Indices of `keep` items drawn one at a time without replacement, each with probability
// proportional to its weight among those left (torch.multinomial's sampling without
// replacement), in the order drawn. Uses the Gumbel-top-k identity: the `keep` largest
// log w_i + Gumbel_i are distributed exactly as such a sequential draw.
torch::Tensor draw_without_replacement(const torch::Tensor& log_weights, std::int64_t keep,
                                       at::Generator& generator);

// log P(order) for a sequential draw without replacement:
//   Σ_t [log w_{o_t} − log Σ_{i not among o_1..o_{t−1}} w_i],
// differentiable in `log_weights` [n]. Computed in float64; the mass left before each draw is
// summed from the undrawn items and the later draws, never by subtraction, so it stays accurate
// when almost every item is drawn.
torch::Tensor draw_log_probability(const torch::Tensor& log_weights, const torch::Tensor& order);

}  // namespace claw::compress
