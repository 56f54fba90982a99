#include "compress/rotation.h"

namespace claw::compress {
namespace {

// The precision rotations are computed in: float64 for float32 weights, as SliceGPT does;
// float32 for half-precision ones, whose own rounding (2^-8 relative for bf16) is 10^5 times
// coarser than float32's and twice as cheap.
torch::ScalarType rotation_dtype(const torch::Tensor& weight) {
  return c10::elementSize(weight.scalar_type()) >= 4 ? torch::kDouble : torch::kFloat;
}

void scale_inputs(model::Linear& layer, const torch::Tensor& scale) {
  layer.weight =
      (layer.weight.to(torch::kDouble) * scale.to(torch::kDouble)).to(layer.weight.scalar_type());
}

}  // namespace

void untie_head(model::Model& model) {
  if (!model.lm_head.defined()) model.lm_head = model.embed.clone();
  model.config.tie_word_embeddings = false;
}

void fold_layer_norms(model::DecoderLayer& layer) {
  torch::NoGradGuard no_grad;
  for (model::Linear* reader : {&layer.q, &layer.k, &layer.v})
    scale_inputs(*reader, layer.attn_norm);
  for (model::Linear* reader : {&layer.gate, &layer.up}) scale_inputs(*reader, layer.mlp_norm);
  layer.attn_norm = torch::ones_like(layer.attn_norm);
  layer.mlp_norm = torch::ones_like(layer.mlp_norm);
}

void fold_final_norm(model::Model& model) {
  torch::NoGradGuard no_grad;
  model::Linear head{model.lm_head, {}};
  scale_inputs(head, model.final_norm);
  model.lm_head = head.weight;
  model.final_norm = torch::ones_like(model.final_norm);
}

void fold_norms(model::Model& model) {
  untie_head(model);
  for (model::DecoderLayer& layer : model.layers) fold_layer_norms(layer);
  fold_final_norm(model);
}

void rotate_inputs(model::Linear& layer, const torch::Tensor& basis) {
  torch::NoGradGuard no_grad;
  const torch::ScalarType type = rotation_dtype(layer.weight);
  layer.weight = layer.weight.to(type).mm(basis.to(type)).to(layer.weight.scalar_type());
}

void rotate_outputs(model::Linear& layer, const torch::Tensor& basis) {
  torch::NoGradGuard no_grad;
  const torch::ScalarType type = rotation_dtype(layer.weight);
  const torch::Tensor b = basis.to(type).t();
  layer.weight = b.mm(layer.weight.to(type)).to(layer.weight.scalar_type());
  if (layer.bias.defined()) layer.bias = b.mv(layer.bias.to(type)).to(layer.bias.scalar_type());
}

torch::Tensor to_basis(const torch::Tensor& m, const torch::Tensor& basis) {
  torch::NoGradGuard no_grad;
  // In the activations' own dtype, as SliceGPT does: they carry that precision already.
  return m.matmul(basis.to(m.scalar_type()));
}

}  // namespace claw::compress
