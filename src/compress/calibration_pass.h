// Calibration text carried through a model one layer at a time, for the methods that measure
// each layer on it (ShortGPT, FLAP, head pruning): only the residual stream at the current layer
// is held, and a method may look at what o_proj and down_proj read on the way.
#pragma once

#include <torch/types.h>

#include <functional>
#include <vector>

#include "model/decoder.h"
#include "model/model.h"

namespace claw::compress {

// What a method may observe while a layer runs, batch by batch; any may be empty. A layer
// without attention (or MLP) calls neither of that sublayer's observers.
struct LayerObserver {
  // o_proj's input [B, T, heads·head_dim].
  std::function<void(std::size_t batch, const torch::Tensor& heads)> attention_heads{};
  // down_proj's input [B, T, intermediate].
  std::function<void(std::size_t batch, const torch::Tensor& hidden)> mlp_hidden{};
  // The residual stream between the attention and the MLP [B, T, width].
  std::function<void(std::size_t batch, const torch::Tensor& stream)> after_attention{};
};

class CalibrationPass {
 public:
  // `batches` are tokens [B, L] on the model's device. Starts at the embeddings.
  CalibrationPass(const model::Model& model, std::vector<torch::Tensor> batches);

  std::size_t batch_count() const { return streams_.size(); }
  std::size_t next_layer() const { return next_layer_; }
  // The residual stream entering next_layer() (the model's output before the final norm once
  // every layer has run), [B, L, width] in the model's dtype.
  const torch::Tensor& stream(std::size_t batch) const { return streams_.at(batch); }
  // Runs next_layer() on every batch, attention then MLP, with their residuals.
  void advance(const LayerObserver& observe = {});

 private:
  const model::Model& model_;
  std::vector<model::SequenceContext> contexts_;
  std::vector<torch::Tensor> streams_;
  std::size_t next_layer_ = 0;
};

}  // namespace claw::compress
