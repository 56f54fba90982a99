#include "compress/pca.h"

#include <ATen/ops/linalg_eigh.h>

#include "core/error.h"

namespace claw::compress {

CovarianceAccumulator::CovarianceAccumulator(std::int64_t width, torch::Device device)
    : sum_(torch::zeros({width, width},
                        torch::TensorOptions().dtype(torch::kDouble).device(device))) {}

void CovarianceAccumulator::add(const torch::Tensor& x) {
  const torch::Tensor rows = x.detach().reshape({-1, x.size(-1)}).to(torch::kDouble);
  sum_.addmm_(rows.t(), rows);
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
