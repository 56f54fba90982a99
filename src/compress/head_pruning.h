// Attention-head pruning by whole KV groups, the same fraction of each layer's. A group's
// importance is the mean squared norm of what it writes into the residual stream on calibration
// text, E‖W_o[:, g]·a_g‖²: removing the group changes the layer's output by exactly that term,
// so the groups that matter least to the layer are the ones removed. docs/compression.md.
#pragma once

#include "compress/calibration_text.h"
#include "compress/method.h"

namespace claw::compress {

class HeadPruning final : public CompressionMethod {
 public:
  explicit HeadPruning(CalibrationSet calibration);
  std::string name() const override { return "heads"; }
  Json settings() const override;
  model::ModelConfig plan(model::LayeredModel& model, double ratio) override;
  bool rewrite_layer(model::Model& model, std::size_t layer) override;
  Json details() const override { return details_; }

 private:
  CalibrationSet calibration_;
  std::vector<torch::Tensor> kept_;  // per layer, once planned; empty when nothing is removed
  Json details_;
};

// Each KV group's importance in one layer, [groups] float64, from o_proj's input `heads`
// [B, T, heads·head_dim] and o_proj's weight: Σ over tokens of ‖W_o[:, g]·a_g‖².
torch::Tensor group_output_energy(const torch::Tensor& heads, const torch::Tensor& o_weight,
                                  std::int64_t kv_heads);

}  // namespace claw::compress
