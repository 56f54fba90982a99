#include "compress/pca.h"

#include <ATen/ops/linalg_eigh.h>

#include "core/error.h"

namespace claw::compress {

CovarianceAccumulator::CovarianceAccumulator(std::int64_t width, torch::Device device)
    : sum_(torch::zeros({width, width},
                        torch::TensorOptions().dtype(torch::kDouble).device(device))) {}

void CovarianceAccumulator::add(const torch::Tensor& x) {
  const torch::Tensor rows = x.detach().reshape({-1, x.size(-1)}).to(torch::kDouble);
  // xᵀx is symmetric: multiply only the blocks on and above the diagonal (10 of 16) and mirror
  // them. float64 matrix products run at half the float32 rate, and on calibration data of
  // 128 × 2048 tokens this product costs as much as the forward passes themselves.
  constexpr std::int64_t kBlocks = 4;
  const std::int64_t width = rows.size(1), step = (width + kBlocks - 1) / kBlocks;
  for (std::int64_t i = 0; i < width; i += step) {
    const std::int64_t rows_i = std::min(step, width - i);
    const torch::Tensor left = rows.narrow(1, i, rows_i).t();
    for (std::int64_t j = i; j < width; j += step) {
      const std::int64_t cols_j = std::min(step, width - j);
      const torch::Tensor block = left.mm(rows.narrow(1, j, cols_j));
      sum_.narrow(0, i, rows_i).narrow(1, j, cols_j).add_(block);
      if (j != i) sum_.narrow(0, j, cols_j).narrow(1, i, rows_i).add_(block.t());
    }
  }
}

torch::Tensor CovarianceAccumulator::principal_directions(const std::string& where) const {
  CLAW_CHECK(torch::isfinite(sum_).all().item<bool>(), where,
             ": the calibration activations' covariance is not finite; the model overflows in "
             "its dtype (try --dtype f32)");
  torch::Tensor dampened = sum_.clone();
  dampened.diagonal().add_(kPcaDampening * sum_.diagonal().mean().item<double>());
  const auto [values, vectors] = at::linalg_eigh(dampened);
  return vectors.flip(1);  // eigh sorts ascending
}

}  // namespace claw::compress
