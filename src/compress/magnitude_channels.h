// Magnitude channel selection: keep the FFN channels whose weights are largest. A channel's
// magnitude is the Euclidean norm of everything it owns: its row of gate, its row of up and its
// column of down, taken together (docs/compression.md).
#pragma once

#include "compress/method.h"

namespace claw::compress {

class MagnitudeChannels final : public ChannelPruning {
 public:
  std::string name() const override { return "magnitude"; }
  Json settings() const override { return {{"score", "l2 norm of gate row, up row, down column"}}; }

 protected:
  std::vector<torch::Tensor> select(model::LayeredModel& model,
                                    const std::vector<std::int64_t>& keep, Json& details) override;
};

// Each channel's magnitude in one layer, [width] float64.
torch::Tensor channel_magnitudes(const model::DecoderLayer& layer);

}  // namespace claw::compress
