// What the recovery tests share: a small model with everything LoRA must get right, and random
// training sequences.
#pragma once

#include <ATen/CPUGeneratorImpl.h>
#include <torch/types.h>

#include <cstdint>
#include <vector>

#include "model/presets.h"
#include "recover/lora.h"
#include "recover/training_data.h"

namespace claw::recover::fixtures {

// GQA (4 heads over 2), q/k/v biases, an untied head: everything LoRA has to get right.
inline model::ModelConfig tiny_config() {
  model::ModelConfig c = model::preset_config("tiny-qwen2");
  c.vocab_size = 64;
  c.tie_word_embeddings = false;
  return c;
}

inline std::vector<TrainingSequence> random_sequences(std::int64_t count, std::int64_t length,
                                                      std::uint64_t seed) {
  at::Generator generator = at::detail::createCPUGenerator(seed);
  std::vector<TrainingSequence> sequences;
  for (std::int64_t i = 0; i < count; ++i) {
    const torch::Tensor t = at::randint(64, {length - i % 3}, generator, torch::kInt).contiguous();
    TrainingSequence s;
    s.tokens.assign(t.data_ptr<std::int32_t>(), t.data_ptr<std::int32_t>() + t.numel());
    s.scored.assign(s.tokens.size() - 1, 1);
    s.scored[0] = 0;  // a prompt target that carries no loss
    sequences.push_back(std::move(s));
  }
  return sequences;
}

// Adapters with B randomised too, so that A's gradient is not zero.
inline std::vector<torch::Tensor> attach_random_lora(model::Model& model,
                                                     const LoraOptions& options) {
  at::Generator generator = at::detail::createCPUGenerator(7);
  std::vector<torch::Tensor> trainable = attach_lora(model, options, generator);
  torch::NoGradGuard no_grad;
  for (std::size_t i = 1; i < trainable.size(); i += 2) {
    trainable[i].copy_(at::normal(0, 0.05, trainable[i].sizes(), generator, torch::kDouble)
                           .to(trainable[i].scalar_type()));
  }
  return trainable;
}

}  // namespace claw::recover::fixtures
