// Loading a model from a HF directory or a llama2.c checkpoint.
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "model/model.h"

namespace claw::model {

struct LoadOptions {
  torch::Device device = torch::kCPU;
  // The compute dtype; unset keeps the stored dtype (that of the token embedding).
  std::optional<torch::ScalarType> dtype{};
};

// A directory is read as a HF checkpoint, a file as a legacy llama2.c checkpoint. Every tensor
// the config implies must be present with its exact shape; unknown tensors are refused rather
// than silently ignored, since they would mean a model claw does not know how to run.
Model load_model(const std::filesystem::path& path, const LoadOptions& options = {});

// Refuses, before any weight is allocated, a model whose weights in `type` exceed
// `available_bytes`: a bfloat16 file takes twice its size in float32, and a process the kernel
// kills halfway says nothing useful. load_model() checks against the memory available now.
void check_weights_fit(const ModelConfig& config, torch::ScalarType type,
                       std::int64_t available_bytes, const std::string& source);

// The bytes of `config`'s weights in `type`.
std::int64_t weight_bytes(const ModelConfig& config, torch::ScalarType type);

// Whether load_model() would accept `config`'s weights in `type` on `device` now: on the CPU,
// whether they fit in the memory available (true where that is unknown); a GPU is left to
// report for itself.
bool weights_fit(const ModelConfig& config, torch::ScalarType type, torch::Device device);

// The config of the model at `path` (either kind), without reading its weights.
ModelConfig read_model_config(const std::filesystem::path& path);

// The dtype load_model() gives the model at `path`: the requested one, else the stored one.
// Reads only headers.
torch::ScalarType loaded_dtype(const std::filesystem::path& path, const LoadOptions& options);

// llama2.c and GGUF's llama store each head's q/k rows as interleaved (re, im) pairs; HF rotates
// halves. Reorders the rows of a [heads*head_dim, in] projection (or a [heads*head_dim] bias)
// from the first layout to the second, and back.
torch::Tensor interleaved_to_half_rotation(const torch::Tensor& weight, std::int64_t heads);
torch::Tensor half_rotation_to_interleaved(const torch::Tensor& weight, std::int64_t heads);

}  // namespace claw::model
