// ShortGPT (Men et al., arXiv 2403.03853): depth pruning that deletes the decoder layers which
// change the residual stream least on calibration text, by Block Influence
// BI_i = 1 − E[cos(x_i, x_{i+1})]. With score = angular it removes instead the contiguous block
// of n layers whose input and output are closest in angular distance arccos(cos)/π (Gromov et
// al., arXiv 2403.17887). docs/compression.md.
#pragma once

#include <cstdint>
#include <vector>

#include "compress/calibration_text.h"
#include "compress/method.h"

namespace claw::compress {

enum class DepthScore { kBlockInfluence, kAngularBlock };

struct ShortGptOptions {
  CalibrationSet calibration;
  DepthScore score = DepthScore::kBlockInfluence;
  bool last_token_only = true;  // the angular distance of each sequence's last token only
};

// The number of layers removed from `layers` at `ratio`: floor(r·layers); an error when that
// leaves none.
std::int64_t removed_layer_count(std::int64_t layers, double ratio);

// Deletes the layers at `indices` (distinct, any order) and their per-layer sizes.
void remove_layers(model::Model& model, std::vector<std::int64_t> indices);

class ShortGpt final : public CompressionMethod {
 public:
  explicit ShortGpt(ShortGptOptions options);
  std::string name() const override { return "shortgpt"; }
  Json settings() const override;
  Json compress(model::Model& model, double ratio) override;

 private:
  ShortGptOptions options_;
};

}  // namespace claw::compress
