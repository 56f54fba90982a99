#include "compress/subset_sampling.h"

#include <limits>

#include "core/error.h"

namespace claw::compress {

torch::Tensor draw_without_replacement(const torch::Tensor& log_weights, std::int64_t keep,
                                       at::Generator& generator) {
  CLAW_CHECK(log_weights.dim() == 1 && keep >= 1 && keep <= log_weights.size(0), "cannot draw ",
             keep, " of ", log_weights.size(0), " items");
  const torch::Tensor uniform =
      at::empty(log_weights.sizes(), torch::TensorOptions().dtype(torch::kDouble))
          .uniform_(std::numeric_limits<double>::min(), 1.0, generator);
  const torch::Tensor keys = log_weights.detach().cpu().to(torch::kDouble) - (-uniform.log()).log();
  return std::get<1>(keys.topk(keep, 0, /*largest=*/true, /*sorted=*/true));
}

torch::Tensor draw_log_probability(const torch::Tensor& log_weights, const torch::Tensor& order) {
  const torch::Tensor log_w = log_weights.to(torch::kDouble);
  const torch::Tensor index = order.to(log_w.device(), torch::kLong);
  const torch::Tensor drawn_log_w = log_w.index_select(0, index);
  const torch::Tensor undrawn = torch::ones_like(log_w, torch::kBool).index_fill(0, index, false);
  const torch::Tensor undrawn_mass = log_w.exp().masked_select(undrawn).sum();
  // Mass left before draw t: the undrawn items plus draws t, t+1, ... (a reversed cumulative sum).
  const torch::Tensor later_draws = drawn_log_w.exp().flip(0).cumsum(0).flip(0);
  return drawn_log_w.sum() - (undrawn_mass + later_draws).log().sum();
}

}  // namespace claw::compress
