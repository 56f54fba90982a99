#include "compress/rotation.h"

#include <algorithm>
#include <functional>

namespace claw::compress {
namespace {

// The precision rotations are computed in: float64 for float32 weights, as SliceGPT does;
// float32 for half-precision ones, whose own rounding (2^-8 relative for bf16) is 10^5 times
// coarser than float32's and twice as cheap.
torch::ScalarType rotation_dtype(const torch::Tensor& weight) {
  return c10::elementSize(weight.scalar_type()) >= 4 ? torch::kDouble : torch::kFloat;
}

// Rows of a weight transformed per row in a wider dtype at a time: a block's widened copy is at
// most this large, so a 152k-row embedding or head is not held in float64 whole (12 GB at 14B
// width, for a model SliceGPT otherwise rewrites in 4.5 GB).
constexpr std::int64_t kBlockBytes = std::int64_t{64} << 20;

// out[rows] = transform(weight[rows]) a block of rows at a time, each row's result depending on
// that row alone, so the blocks give the whole product's numbers.
torch::Tensor by_row_blocks(const torch::Tensor& weight, std::int64_t out_columns,
                            const std::function<torch::Tensor(const torch::Tensor&)>& transform) {
  const std::int64_t rows = weight.size(0);
  const std::int64_t row_bytes =
      std::max(weight.size(1), out_columns) * static_cast<std::int64_t>(sizeof(double));
  const std::int64_t block =
      std::max<std::int64_t>(1, kBlockBytes / std::max<std::int64_t>(1, row_bytes));
  torch::Tensor out = torch::empty({rows, out_columns}, weight.options());
  for (std::int64_t first = 0; first < rows; first += block) {
    const std::int64_t count = std::min(block, rows - first);
    out.narrow(0, first, count).copy_(transform(weight.narrow(0, first, count)));
  }
  return out;
}

void scale_inputs(model::Linear& layer, const torch::Tensor& scale) {
  const torch::Tensor wide = scale.to(torch::kDouble);
  layer.weight = by_row_blocks(layer.weight, layer.weight.size(1), [&](const torch::Tensor& rows) {
    return rows.to(torch::kDouble) * wide;
  });
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
  const torch::Tensor wide = basis.to(type);
  layer.weight = by_row_blocks(layer.weight, basis.size(1),
                               [&](const torch::Tensor& rows) { return rows.to(type).mm(wide); });
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
