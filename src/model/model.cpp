#include "model/model.h"

#include <ATen/ATen.h>

#include "core/error.h"
#include "model/matvec.h"

namespace claw::model {

torch::Tensor project(const torch::Tensor& x, const torch::Tensor& weight,
                      const torch::Tensor& bias) {
  // A single row (decoding at batch 1) on the CPU in f32: OpenBLAS runs that as a matrix
  // product with M = 1 at a third of the bandwidth its matrix-vector routine reaches.
  // In bf16, oneDNN's one-row path is as slow, and claw's own kernel takes over (it is not
  // differentiable, so only where no gradient is wanted).
  const bool one_row = x.numel() == x.size(-1) && x.device().is_cpu();
  const bool wants_grad =
      x.requires_grad() || weight.requires_grad() || (bias.defined() && bias.requires_grad());
  const bool f32 = x.scalar_type() == torch::kFloat32;
  const bool bf16 = x.scalar_type() == torch::kBFloat16 && !wants_grad;
  if (one_row && (f32 || bf16)) {
    const torch::Tensor row = x.reshape({x.size(-1)});
    const torch::Tensor y = bf16             ? bf16_matvec(weight, row, bias)
                            : bias.defined() ? at::addmv(bias, weight, row)
                                             : at::mv(weight, row);
    std::vector<std::int64_t> shape = x.sizes().vec();
    shape.back() = weight.size(0);
    return y.view(shape);
  }
  return at::linear(x, weight, bias.defined() ? c10::optional<at::Tensor>(bias) : c10::nullopt);
}

torch::Tensor Linear::operator()(const torch::Tensor& x) const {
  torch::Tensor y = project(x, weight, bias);
  if (!lora) return y;
  const torch::Tensor dropped =
      lora->training && lora->dropout > 0 ? at::dropout(x, lora->dropout, /*train=*/true) : x;
  return y + lora->scale * project(project(dropped, lora->a), lora->b);
}

Model deep_copy(const Model& model) {
  Model copy = model;
  for (const TensorSpec& spec : tensor_layout(model.config)) {
    torch::Tensor& slot = tensor_slot(copy, spec);
    slot = slot.clone();
  }
  for (DecoderLayer& layer : copy.layers) {
    for (Linear* linear :
         {&layer.q, &layer.k, &layer.v, &layer.o, &layer.gate, &layer.up, &layer.down}) {
      linear->lora.reset();
    }
  }
  return copy;
}

torch::Tensor& tensor_slot(Model& model, const TensorSpec& spec) {
  using R = TensorRole;
  switch (spec.role) {
    case R::kEmbed:
      return model.embed;
    case R::kFinalNorm:
      return model.final_norm;
    case R::kLmHead:
      return model.lm_head;
    default:
      break;
  }
  CLAW_CHECK(spec.layer >= 0 && spec.layer < static_cast<std::int64_t>(model.layers.size()),
             "tensor '", spec.name, "' refers to a layer the model does not have");
  DecoderLayer& layer = model.layers[static_cast<std::size_t>(spec.layer)];
  switch (spec.role) {
    case R::kAttnNorm:
      return layer.attn_norm;
    case R::kMlpNorm:
      return layer.mlp_norm;
    case R::kQWeight:
      return layer.q.weight;
    case R::kQBias:
      return layer.q.bias;
    case R::kKWeight:
      return layer.k.weight;
    case R::kKBias:
      return layer.k.bias;
    case R::kVWeight:
      return layer.v.weight;
    case R::kVBias:
      return layer.v.bias;
    case R::kOWeight:
      return layer.o.weight;
    case R::kOBias:
      return layer.o.bias;
    case R::kGateWeight:
      return layer.gate.weight;
    case R::kGateBias:
      return layer.gate.bias;
    case R::kUpWeight:
      return layer.up.weight;
    case R::kUpBias:
      return layer.up.bias;
    case R::kDownWeight:
      return layer.down.weight;
    case R::kDownBias:
      return layer.down.bias;
    case R::kAttnShortcut:
      return layer.attn_shortcut;
    case R::kMlpShortcut:
      return layer.mlp_shortcut;
    default:
      break;
  }
  CLAW_FAIL("tensor '", spec.name, "' has no slot in the model");
}

const torch::Tensor& tensor_slot(const Model& model, const TensorSpec& spec) {
  return tensor_slot(const_cast<Model&>(model), spec);
}

Model empty_model(ModelConfig config) {
  Model model;
  model.layers.resize(static_cast<std::size_t>(config.num_layers));
  model.config = std::move(config);
  return model;
}

}  // namespace claw::model
