// Configurations of known models, and randomly initialised weights for them: real shapes are how
// loading and speed are tested for models whose weights are not at hand.
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "model/model.h"

namespace claw::model {

std::vector<std::string> preset_names();

// The published config of `name` (an error lists the known names).
ModelConfig preset_config(const std::string& name);

// One tensor drawn as HF initialises a fresh model: N(0, 0.02) for matrices (biases too, so the
// bias paths carry signal), ones for norm weights. Seeded per tensor, so any tensor can be
// produced alone, in any order, and always comes out the same.
torch::Tensor random_tensor(const TensorSpec& spec, std::uint64_t seed, torch::ScalarType dtype);

Model random_model(const ModelConfig& config, std::uint64_t seed, torch::ScalarType dtype,
                   torch::Device device = torch::kCPU);

}  // namespace claw::model
