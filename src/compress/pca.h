// Principal directions of activations, as SliceGPT computes them: the uncentred covariance
// accumulated in float64, dampened, and decomposed in float64 (float32 badly hurts LLaMA-2,
// SliceGPT's Table 4).
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <string>

namespace claw::compress {

class CovarianceAccumulator {
 public:
  explicit CovarianceAccumulator(std::int64_t width, torch::Device device);

  // Adds Σ xᵀx over the rows of `x` [..., width].
  void add(const torch::Tensor& x);

  // The eigenvectors of the covariance with 0.01·mean(diag) added to its diagonal, as columns
  // sorted by decreasing eigenvalue: [width, width] float64. An error naming `where` when the
  // covariance is not finite.
  torch::Tensor principal_directions(const std::string& where) const;

 private:
  torch::Tensor sum_;  // [width, width] float64
};

// SliceGPT's dampening: 1% of the mean eigenvalue, which keeps the decomposition stable when
// some directions carry no signal.
constexpr double kPcaDampening = 0.01;

}  // namespace claw::compress
