#include "compress/magnitude_channels.h"

namespace claw::compress {

torch::Tensor channel_magnitudes(const model::DecoderLayer& layer) {
  const auto squares = [](const torch::Tensor& w, std::int64_t dim) {
    return w.to(torch::kDouble).square().sum(dim);
  };
  return (squares(layer.gate.weight, 1) + squares(layer.up.weight, 1) +
          squares(layer.down.weight, 0))
      .sqrt();
}

std::vector<torch::Tensor> MagnitudeChannels::select(const model::Model& model,
                                                     const std::vector<std::int64_t>& keep,
                                                     Json& /*details*/) {
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> kept;
  for (std::size_t l = 0; l < keep.size(); ++l) {
    // A stable descending sort breaks ties towards the lower index, so the choice is the same on
    // every machine.
    const torch::Tensor order =
        std::get<1>(channel_magnitudes(model.layers[l]).cpu().sort(/*stable=*/true, 0, true));
    kept.push_back(std::get<0>(order.narrow(0, 0, keep[l]).sort()));
  }
  return kept;
}

}  // namespace claw::compress
