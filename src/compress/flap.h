// FLAP (An et al., arXiv 2312.11983): width pruning of FFN channels and attention KV groups by
// how much each input channel of down_proj and o_proj fluctuates on calibration text, weighted
// by the weight column it meets. Scores are standardised per layer and module so every unit of
// the model competes in one ranking (adaptive widths), and the removed channels' mean
// contribution is folded into the output bias. The wanda-sp variant scores |W|·‖x‖, prunes the
// same fraction of every layer and module, and compensates nothing. docs/compression.md.
#pragma once

#include <vector>

#include "compress/calibration_text.h"
#include "compress/method.h"

namespace claw::compress {

enum class FlapVariant { kFlap, kWandaSp };

struct FlapOptions {
  CalibrationSet calibration;
  FlapVariant variant = FlapVariant::kFlap;
};

// Per input channel of one projection, over every calibration token, in float64.
struct ChannelStatistics {
  torch::Tensor sum, sum_of_squares;  // [channels]
  std::int64_t count = 0;

  void add(const torch::Tensor& inputs);  // [..., channels]
  torch::Tensor mean() const;
  torch::Tensor sample_variance() const;
  torch::Tensor norm() const;  // √Σx²
};

// FLAP's fluctuation of each input channel of `weight` [out, in]: the channel's sample variance
// times the squared norm of its column.
torch::Tensor fluctuation_scores(const ChannelStatistics& inputs, const torch::Tensor& weight);
// Wanda-sp's score of each input channel: ‖x_j‖₂ · Σ_i |W_ij|.
torch::Tensor wanda_scores(const ChannelStatistics& inputs, const torch::Tensor& weight);

class Flap final : public CompressionMethod {
 public:
  explicit Flap(FlapOptions options);
  std::string name() const override { return "flap"; }
  Json settings() const override;
  Json compress(model::Model& model, double ratio) override;

 private:
  FlapOptions options_;
};

}  // namespace claw::compress
