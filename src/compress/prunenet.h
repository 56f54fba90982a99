// PruneNet (Sengupta et al., ICLR 2025): calibration-free FFN channel pruning by a policy learned
// from the weights alone. docs/compression.md lists where this differs from the reference code.
#pragma once

#include <cstdint>
#include <string>

#include "compress/method.h"
#include "core/option_binding.h"

namespace claw::compress {

struct PruneNetOptions {
  std::int64_t episodes = 20;
  double learning_rate = 1e-3;
  double weight_decay = 0.01;  // AdamW's PyTorch default, which the reference keeps
  double discount = 0.99;      // layer ℓ's reward is weighted by discount^ℓ
  double max_grad_norm = 1.0;
  std::uint64_t seed = 0;
  std::string policy_in;    // reuse this policy instead of training one
  std::string policy_out;   // save the policy used
  std::string source_hash;  // the compressed model's content hash, recorded with the policy
};

// The options a user sets; the rest are the reference's constants, and the seed is the run's.
template <typename Visitor>
void visit_options(PruneNetOptions& o, Visitor&& row) {
  row(o.episodes, {.name = "episodes", .help = "policy training episodes", .minimum = 0});
  row(o.learning_rate, {.name = "lr",
                        .help = "the policy's AdamW learning rate",
                        .minimum = 0,
                        .minimum_excluded = true});
  row(o.policy_in, {.name = "policy_in",
                    .help = "reuse this trained policy instead of training one",
                    .recorded = false});
  row(o.policy_out, {.name = "policy_out",
                     .help = "save the policy, for any model of the same shapes and any ratio",
                     .recorded = false,
                     .output_file = true});
}

class PruneNet final : public ChannelPruning {
 public:
  explicit PruneNet(PruneNetOptions options);
  std::string name() const override { return "prunenet"; }
  Json settings() const override;

 protected:
  std::vector<torch::Tensor> select(model::LayeredModel& model,
                                    const std::vector<std::int64_t>& keep, Json& details) override;

 private:
  PruneNetOptions options_;
};

}  // namespace claw::compress
