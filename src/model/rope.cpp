#include "model/rope.h"

#include <ATen/ATen.h>

#include <cmath>

namespace claw::model {

torch::Tensor rope_inverse_frequencies(const ModelConfig& config) {
  const std::int64_t dim = config.head_dim;
  const torch::Tensor exponents =
      torch::arange(0, dim, 2, torch::TensorOptions().dtype(torch::kInt64)).to(torch::kFloat32) /
      static_cast<double>(dim);
  torch::Tensor inv_freq = 1.0 / at::pow(config.rope_theta, exponents);
  if (!config.rope_scaling) return inv_freq;

  // Llama 3.1: long wavelengths are slowed by `factor`, short ones kept, and the band between
  // the two cut-offs interpolated smoothly.
  const RopeScaling& s = *config.rope_scaling;
  const double old_context = static_cast<double>(s.original_max_position_embeddings);
  const double low_freq_wavelen = old_context / s.low_freq_factor;
  const double high_freq_wavelen = old_context / s.high_freq_factor;
  const torch::Tensor wavelen = 2 * M_PI / inv_freq;
  torch::Tensor scaled = at::where(wavelen > low_freq_wavelen, inv_freq / s.factor, inv_freq);
  const torch::Tensor smooth =
      (old_context / wavelen - s.low_freq_factor) / (s.high_freq_factor - s.low_freq_factor);
  const torch::Tensor smoothed = (1 - smooth) * scaled / s.factor + smooth * scaled;
  const torch::Tensor medium = (wavelen >= high_freq_wavelen) & (wavelen <= low_freq_wavelen);
  return at::where(medium, smoothed, scaled);
}

RopeAngles rope_angles(const torch::Tensor& inverse_frequencies, const torch::Tensor& positions,
                       torch::ScalarType dtype) {
  const torch::Tensor inv = inverse_frequencies.to(positions.device());
  const torch::Tensor freqs = positions.to(torch::kFloat32).unsqueeze(-1) * inv;  // [B, T, hd/2]
  const torch::Tensor emb = torch::cat({freqs, freqs}, -1).unsqueeze(1);          // [B, 1, T, hd]
  torch::Tensor signed_sin = emb.sin().to(dtype);
  signed_sin.narrow(-1, 0, freqs.size(-1)).neg_();
  return {emb.cos().to(dtype), std::move(signed_sin)};
}

torch::Tensor apply_rope(const torch::Tensor& x, const RopeAngles& angles) {
  const std::int64_t half = x.size(-1) / 2;
  const torch::Tensor swapped = torch::cat({x.narrow(-1, half, half), x.narrow(-1, 0, half)}, -1);
  // Two rounded products and a rounded sum, as HF's x·cos + rotate_half(x)·sin (an addcmul would
  // round once in bf16); the sum lands in the first product's fresh buffer.
  return (x * angles.cos).add_(swapped * angles.signed_sin);
}

}  // namespace claw::model
