#include "compress/spectral_reward.h"

#include <ATen/ops/linalg_eigvalsh.h>

#include "compress/ks_statistic.h"
#include "model/torch_tensors.h"

namespace claw::compress {

std::vector<double> singular_values(const torch::Tensor& matrix) {
  torch::NoGradGuard no_grad;
  const torch::Tensor m = matrix.detach().to(torch::kDouble);
  // The Gram matrix of the shorter side: min(rows, cols)² entries whose eigenvalues are the
  // squared singular values. Rounding can leave a zero eigenvalue slightly negative.
  const torch::Tensor gram = m.size(0) < m.size(1) ? m.mm(m.t()) : m.t().mm(m);
  return model::to_vector<double>(at::linalg_eigvalsh(gram).clamp_min(0).sqrt().flip(0));
}

double spectral_reward(const std::vector<double>& original_spectrum, const torch::Tensor& ffn1,
                       const torch::Tensor& kept) {
  const double ks = ks_statistic(original_spectrum,
                                 singular_values(ffn1.index_select(0, kept.to(ffn1.device()))));
  return ks == 0 ? kPerfectSpectrumReward : 1.0 / ks;
}

}  // namespace claw::compress
