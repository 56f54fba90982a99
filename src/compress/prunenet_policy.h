// PruneNet's policy network (the reference's "SparsityPredictor"): a linear map P: R^d → R^d_ff
// (weight W_p [d_ff, d], bias b_p [d_ff]) and a learned score vector s [d_ff], shared by every
// layer. For a layer's FFN1 weight W [d_ff, d] it scores each channel i by
//   α_i = sigmoid((W·W_pᵀ + 1·b_pᵀ)·s)_i,
// the probability-like importance of keeping that channel.
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace claw::compress {

class PruneNetPolicy {
 public:
  // A fresh policy for FFN1 matrices of shape [width, hidden], initialised as the reference
  // does: W_p and b_p like PyTorch's nn.Linear (uniform in ±1/√hidden), s uniform in [0, 1).
  PruneNetPolicy(std::int64_t hidden, std::int64_t width, std::uint64_t seed);

  // A policy saved by save(); refuses files that are not one.
  static PruneNetPolicy load(const std::filesystem::path& path);
  // Writes the policy as safetensors, atomically; `metadata` records where it came from.
  void save(const std::filesystem::path& path,
            const std::map<std::string, std::string>& metadata) const;

  std::int64_t hidden() const { return projection_weight_.size(1); }
  std::int64_t width() const { return projection_weight_.size(0); }
  // An error naming `source` unless this policy scores FFN1 matrices of shape [width, hidden].
  void check_shape(std::int64_t hidden, std::int64_t width, const std::string& source) const;

  // logit(α) for each row of `ffn1` [width, hidden] (float32), differentiable in the policy's
  // parameters. (W·W_pᵀ + 1·b_pᵀ)·s equals W·(W_pᵀ·s) + (b_p·s)·1, which costs d_ff·d instead
  // of d_ff²·d multiply-adds (5·10^11 per layer of a 7B model), with the same gradients.
  torch::Tensor importance_logits(const torch::Tensor& ffn1) const;

  std::vector<torch::Tensor> parameters() const;
  // Copies of the parameters' values, and setting them back (keeping the best policy seen).
  std::vector<torch::Tensor> snapshot() const;
  void restore(const std::vector<torch::Tensor>& values);

 private:
  PruneNetPolicy(torch::Tensor projection_weight, torch::Tensor projection_bias,
                 torch::Tensor scores);

  torch::Tensor projection_weight_;  // W_p [width, hidden]
  torch::Tensor projection_bias_;    // b_p [width]
  torch::Tensor scores_;             // s [width]
};

}  // namespace claw::compress
