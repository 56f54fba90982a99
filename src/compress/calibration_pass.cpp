#include "compress/calibration_pass.h"

#include <ATen/ATen.h>

#include "core/error.h"

namespace claw::compress {

CalibrationPass::CalibrationPass(const model::Model& model, std::vector<torch::Tensor> batches)
    : model_(model) {
  CLAW_CHECK(!batches.empty(), "a calibration pass needs at least one batch");
  torch::NoGradGuard no_grad;
  for (const torch::Tensor& tokens : batches) {
    contexts_.push_back(model::sequence_context(model, tokens));
    streams_.push_back(at::embedding(model.embed, tokens));
  }
}

void CalibrationPass::advance(const LayerObserver& observe) {
  CLAW_CHECK(next_layer_ < model_.layers.size(), "the calibration pass is past the last layer");
  torch::NoGradGuard no_grad;
  const model::DecoderLayer& layer = model_.layers[next_layer_];
  for (std::size_t b = 0; b < streams_.size(); ++b) {
    torch::Tensor& h = streams_[b];
    const torch::Tensor heads = model::attention_heads(model_, next_layer_, h, contexts_[b]);
    if (observe.attention_heads) observe.attention_heads(b, heads);
    h = model::shortcut(h, layer.attn_shortcut) + layer.o(heads);
    const torch::Tensor hidden = model::mlp_hidden(model_, next_layer_, h);
    if (observe.mlp_hidden) observe.mlp_hidden(b, hidden);
    h = model::shortcut(h, layer.mlp_shortcut) + layer.down(hidden);
  }
  ++next_layer_;
}

}  // namespace claw::compress
