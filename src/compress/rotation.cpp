#include "compress/rotation.h"

namespace claw::compress {
namespace {

void scale_inputs(model::Linear& layer, const torch::Tensor& scale) {
  layer.weight =
      (layer.weight.to(torch::kDouble) * scale.to(torch::kDouble)).to(layer.weight.scalar_type());
}

}  // namespace

void fold_norms(model::Model& model) {
  torch::NoGradGuard no_grad;
  if (!model.lm_head.defined()) model.lm_head = model.embed.clone();
  model.config.tie_word_embeddings = false;
  for (model::DecoderLayer& layer : model.layers) {
    for (model::Linear* reader : {&layer.q, &layer.k, &layer.v})
      scale_inputs(*reader, layer.attn_norm);
    for (model::Linear* reader : {&layer.gate, &layer.up}) scale_inputs(*reader, layer.mlp_norm);
    layer.attn_norm = torch::ones_like(layer.attn_norm);
    layer.mlp_norm = torch::ones_like(layer.mlp_norm);
  }
  model::Linear head{model.lm_head, {}};
  scale_inputs(head, model.final_norm);
  model.lm_head = head.weight;
  model.final_norm = torch::ones_like(model.final_norm);
}

void rotate_inputs(model::Linear& layer, const torch::Tensor& basis) {
  torch::NoGradGuard no_grad;
  layer.weight = layer.weight.to(torch::kDouble).mm(basis).to(layer.weight.scalar_type());
}

void rotate_outputs(model::Linear& layer, const torch::Tensor& basis) {
  torch::NoGradGuard no_grad;
  layer.weight = basis.t().mm(layer.weight.to(torch::kDouble)).to(layer.weight.scalar_type());
  if (layer.bias.defined()) {
    layer.bias = basis.t().mv(layer.bias.to(torch::kDouble)).to(layer.bias.scalar_type());
  }
}

torch::Tensor to_basis(const torch::Tensor& m, const torch::Tensor& basis) {
  torch::NoGradGuard no_grad;
  // float32 is enough for activations; float64 would double the cost for nothing.
  return m.to(torch::kFloat).matmul(basis.to(torch::kFloat)).to(m.scalar_type());
}

}  // namespace claw::compress
