#include "compress/magnitude_channels.h"

#include "compress/method_registry.h"

namespace claw::compress {

torch::Tensor channel_magnitudes(const model::DecoderLayer& layer) {
  const auto squares = [](const torch::Tensor& w, std::int64_t dim) {
    return w.to(torch::kDouble).square().sum(dim);
  };
  return (squares(layer.gate.weight, 1) + squares(layer.up.weight, 1) +
          squares(layer.down.weight, 0))
      .sqrt();
}

std::vector<torch::Tensor> MagnitudeChannels::select(model::LayeredModel& model,
                                                     const std::vector<std::int64_t>& keep,
                                                     Json& /*details*/) {
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> kept;
  for (std::size_t l = 0; l < keep.size(); ++l) {
    const model::LayerHold held(model, l);
    kept.push_back(highest_scoring(channel_magnitudes(held.layer()), keep[l]));
  }
  return kept;
}

MethodInfo magnitude_method() {
  return {.name = "magnitude",
          .family = MethodFamily::kCalibrationFree,
          .summary = "keeps the FFN channels whose gate row, up row and down column are largest",
          .ratio_meaning = kChannelRatioMeaning,
          .options = {},
          .make = [](const Json&, const CompressionContext&,
                     const model::ModelConfig&) -> std::unique_ptr<CompressionMethod> {
            return std::make_unique<MagnitudeChannels>();
          },
          .removed_fraction = channel_pruned_fraction,
          .runs_in_llama_cpp = true};
}

}  // namespace claw::compress
