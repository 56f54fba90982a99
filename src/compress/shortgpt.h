// ShortGPT (Men et al., arXiv 2403.03853): depth pruning that deletes the decoder layers which
// change the residual stream least on calibration text, by Block Influence
// BI_i = 1 − E[cos(x_i, x_{i+1})]. With score = angular it removes instead the contiguous block
// of n layers whose input and output are closest in angular distance arccos(cos)/π (Gromov et
// al., arXiv 2403.17887). With unit = attention or mlp it removes sublayers instead of whole
// layers, scored the same way on the stream before and after each sublayer (He et al., "What
// Matters in Transformers? Not All Attention is Needed", arXiv 2406.15786). docs/compression.md.
#pragma once

#include <cstdint>
#include <vector>

#include "compress/calibration_text.h"
#include "compress/method.h"

namespace claw::compress {

enum class DepthScore { kBlockInfluence, kAngularBlock };
// What one removal takes away: a whole decoder layer, or one layer's attention or MLP sublayer.
enum class DepthUnit { kBlock, kAttention, kMlp };

struct ShortGptOptions {
  CalibrationSet calibration;
  DepthScore score = DepthScore::kBlockInfluence;
  DepthUnit unit = DepthUnit::kBlock;
  bool last_token_only = true;  // the angular distance of each sequence's last token only
};

// The number of `unit`s removed of `count` at `ratio`: floor(r·count); an error when that
// leaves none.
std::int64_t removed_layer_count(std::int64_t count, double ratio,
                                 DepthUnit unit = DepthUnit::kBlock);
// "block", "attention" or "mlp", the `unit` option's values.
DepthUnit parse_depth_unit(const std::string& name);

// The config without the layers (unit kBlock) or the attention or MLP sublayers at `indices`
// (sorted, distinct): a layer's entries go, or a sublayer's KV heads (MLP width) become 0.
model::ModelConfig without(const model::ModelConfig& config,
                           const std::vector<std::int64_t>& indices, DepthUnit unit);

// Removes the attention (unit kAttention) or the MLP (kMlp) of layer `index`: its tensors, norm
// included, go, and its KV heads (MLP width) become 0, so the residual passes that sublayer
// unchanged.
void remove_sublayer(model::Model& model, std::int64_t index, DepthUnit unit);

// The layers of `config` that still have a sublayer of `unit` (every layer for kBlock).
std::vector<std::int64_t> layers_with(const model::ModelConfig& config, DepthUnit unit);

class ShortGpt final : public CompressionMethod {
 public:
  explicit ShortGpt(ShortGptOptions options);
  std::string name() const override { return "shortgpt"; }
  Json settings() const override;
  model::ModelConfig plan(model::LayeredModel& model, double ratio) override;
  bool rewrite_layer(model::Model& model, std::size_t layer) override;
  Json details() const override { return details_; }
  bool handles_removed_sublayers() const override { return true; }

 private:
  ShortGptOptions options_;
  std::vector<std::int64_t> removed_;  // sorted, once planned
  Json details_;
};

}  // namespace claw::compress
