#include "model/sampler.h"

#include <ATen/ATen.h>

#include "core/error.h"
#include "core/option_table.h"

namespace claw::model {

Sampler::Sampler(const SamplerOptions& options) : options_(options), rng_(options.seed) {
  if (!(options.temperature >= 0)) {
    throw OptionError("temperature", concat("must be >= 0, got ", options.temperature));
  }
  if (!(options.top_p > 0 && options.top_p <= 1)) {
    throw OptionError("top_p", concat("must be in (0, 1], got ", options.top_p));
  }
}

std::int64_t Sampler::sample(const torch::Tensor& logits) {
  const torch::Tensor scores = logits.to(torch::kCPU, torch::kFloat64).flatten();
  if (options_.temperature == 0) return scores.argmax().item<std::int64_t>();

  const torch::Tensor probs = at::softmax(scores / options_.temperature, 0);
  const auto sorted = probs.sort(/*dim=*/0, /*descending=*/true);
  const torch::Tensor& sorted_probs = std::get<0>(sorted);
  const torch::Tensor& sorted_ids = std::get<1>(sorted);
  const auto* p = sorted_probs.data_ptr<double>();
  const std::int64_t n = sorted_probs.numel();

  // The nucleus: the most likely tokens until their mass reaches top_p (at least one).
  std::int64_t kept = 0;
  double mass = 0;
  while (kept < n && (kept == 0 || mass < options_.top_p)) mass += p[kept++];

  double target = std::uniform_real_distribution<double>(0.0, mass)(rng_);
  for (std::int64_t i = 0; i < kept; ++i) {
    target -= p[i];
    if (target < 0) return sorted_ids[i].item<std::int64_t>();
  }
  return sorted_ids[kept - 1].item<std::int64_t>();
}

}  // namespace claw::model
