#include "compress/spectral_reward.h"

#include <ATen/ops/linalg_svdvals.h>

#include "compress/ks_statistic.h"

namespace claw::compress {

std::vector<double> singular_values(const torch::Tensor& matrix) {
  torch::NoGradGuard no_grad;
  const torch::Tensor values =
      at::linalg_svdvals(matrix.detach().to(torch::kFloat)).to(torch::kDouble).cpu().contiguous();
  return {values.data_ptr<double>(), values.data_ptr<double>() + values.numel()};
}

double spectral_reward(const std::vector<double>& original_spectrum, const torch::Tensor& ffn1,
                       const torch::Tensor& kept) {
  const double ks = ks_statistic(original_spectrum,
                                 singular_values(ffn1.index_select(0, kept.to(ffn1.device()))));
  return ks == 0 ? kPerfectSpectrumReward : 1.0 / ks;
}

}  // namespace claw::compress
