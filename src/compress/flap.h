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
  model::ModelConfig plan(model::LayeredModel& model, double ratio) override;
  bool rewrite_layer(model::Model& model, std::size_t layer) override;
  // The biases compensation added are the config's once every layer has them.
  void rewrite_head(model::Model& model) override;
  Json details() const override { return details_; }

 private:
  FlapOptions options_;
  // Per layer, once planned (empty at r = 0): o_proj's and down_proj's input statistics, whose
  // means compensation adds, and the FFN channels and KV groups kept.
  std::vector<ChannelStatistics> heads_, hidden_;
  std::vector<torch::Tensor> kept_channels_, kept_groups_;
  Json details_;
};

}  // namespace claw::compress
