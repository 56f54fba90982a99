// PruneNet (Sengupta et al., ICLR 2025): calibration-free FFN channel pruning by a policy learned
// from the weights alone. docs/compression.md lists where this differs from the reference code.
#pragma once

#include <cstdint>
#include <string>

#include "compress/method.h"

namespace claw::compress {

struct PruneNetOptions {
  std::int64_t episodes = 20;
  double learning_rate = 1e-3;
  double weight_decay = 0.01;  // AdamW's PyTorch default, which the reference keeps
  double discount = 0.99;      // layer ℓ's reward is weighted by discount^ℓ
  double max_grad_norm = 1.0;
  std::uint64_t seed = 0;
  std::string policy_in;   // reuse this policy instead of training one
  std::string policy_out;  // save the policy used
};

class PruneNet final : public ChannelPruning {
 public:
  explicit PruneNet(PruneNetOptions options);
  std::string name() const override { return "prunenet"; }
  Json settings() const override;

 protected:
  std::vector<torch::Tensor> select(const model::Model& model,
                                    const std::vector<std::int64_t>& keep, Json& details) override;

 private:
  PruneNetOptions options_;
};

}  // namespace claw::compress
