// A decoder-only transformer's weights on LibTorch tensors, in HF's [out, in] layout.
#pragma once

#include <torch/types.h>

#include <memory>
#include <vector>

#include "model/config.h"
#include "model/layout.h"

namespace claw::model {

// y = x·Wᵀ + b for x [..., in], W [out, in]; b may be undefined.
torch::Tensor project(const torch::Tensor& x, const torch::Tensor& weight,
                      const torch::Tensor& bias = {});

// A low-rank update trained beside a frozen weight (LoRA, as PEFT defines it):
// y = x·Wᵀ + b + scale · dropout(x)·Aᵀ·Bᵀ.
struct LowRankUpdate {
  torch::Tensor a;  // [rank, in]
  torch::Tensor b;  // [out, rank]
  double scale = 1;
  double dropout = 0;  // applied only while `training`
  bool training = false;
};

struct Linear {
  torch::Tensor weight;                   // [out, in]
  torch::Tensor bias;                     // [out], or undefined
  std::shared_ptr<LowRankUpdate> lora{};  // null unless adapters are attached (src/recover)

  torch::Tensor operator()(const torch::Tensor& x) const;
};

struct DecoderLayer {
  torch::Tensor attn_norm;
  Linear q, k, v, o;
  torch::Tensor mlp_norm;
  Linear gate, up, down;
  // SliceGPT's maps of each block's input into its output's basis, [out, in]; undefined in
  // an unsliced model, where the residual passes unchanged.
  torch::Tensor attn_shortcut, mlp_shortcut;
};

struct Model {
  ModelConfig config;
  torch::Tensor embed;  // [vocab, hidden]
  std::vector<DecoderLayer> layers;
  torch::Tensor final_norm;
  torch::Tensor lm_head;  // undefined when tied to `embed`

  const torch::Tensor& head() const { return lm_head.defined() ? lm_head : embed; }
  torch::Device device() const { return embed.device(); }
  torch::ScalarType dtype() const { return embed.scalar_type(); }
};

// The tensor of `model` that `spec` describes. The model's layers must already be sized.
torch::Tensor& tensor_slot(Model& model, const TensorSpec& spec);
const torch::Tensor& tensor_slot(const Model& model, const TensorSpec& spec);

// An empty model with its layer list sized to the config, ready for tensor_slot().
Model empty_model(ModelConfig config);

// A copy that shares no tensor with `model`, so compressing one leaves the other whole. Attached
// LoRA adapters are not copied.
Model deep_copy(const Model& model);

}  // namespace claw::model
