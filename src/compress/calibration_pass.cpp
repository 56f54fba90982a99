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
  const auto l = static_cast<std::int64_t>(next_layer_);
  const model::ModelConfig& c = model_.config;
  for (std::size_t b = 0; b < streams_.size(); ++b) {
    torch::Tensor& h = streams_[b];
    if (c.has_attention(l)) {
      const torch::Tensor heads = model::attention_heads(model_, next_layer_, h, contexts_[b]);
      if (observe.attention_heads) observe.attention_heads(b, heads);
      h = model::shortcut(h, layer.attn_shortcut) + layer.o(heads);
    }
    if (observe.after_attention) observe.after_attention(b, h);
    if (c.has_mlp(l)) {
      const torch::Tensor hidden = model::mlp_hidden(model_, next_layer_, h);
      if (observe.mlp_hidden) observe.mlp_hidden(b, hidden);
      h = model::shortcut(h, layer.mlp_shortcut) + layer.down(hidden);
    }
  }
  ++next_layer_;
}

}  // namespace claw::compress
