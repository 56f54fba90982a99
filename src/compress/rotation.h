// The computational invariance SliceGPT rests on: with each RMSNorm's scale folded into the
// layers that read it, rotating the residual stream by an orthogonal Q (and every weight that
// reads or writes it to match) leaves the model's function unchanged.
#pragma once

#include <torch/types.h>

#include "model/model.h"

namespace claw::compress {

// Multiplies each norm's scale into the input columns of the layers reading its output (q, k, v;
// gate, up; the head) and sets the scale to ones. Unties a tied head first, since the
// embedding will be rotated differently from it. The model computes the same logits.
void fold_norms(model::Model& model);
// fold_norms() in parts, for a model rewritten one layer at a time: the untying, before the
// embedding changes; one layer's norms; the final norm into the (untied) head.
void untie_head(model::Model& model);
void fold_layer_norms(model::DecoderLayer& layer);
void fold_final_norm(model::Model& model);

// A layer reading the stream in basis `basis` [D, d] (the first d principal directions):
// W ← W·basis, so its input shrinks from D to d. Computed in float64 for float32 weights, in
// float32 for half-precision ones.
void rotate_inputs(model::Linear& layer, const torch::Tensor& basis);
// A layer writing into the stream: W ← basisᵀ·W and b ← basisᵀ·b. Precision as above.
void rotate_outputs(model::Linear& layer, const torch::Tensor& basis);
// Activations `m` [.., D] · basis, in m's dtype.
torch::Tensor to_basis(const torch::Tensor& m, const torch::Tensor& basis);

}  // namespace claw::compress
