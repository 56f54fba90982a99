// Writing a model as a HF checkpoint directory.
#pragma once

#include <torch/types.h>

#include <filesystem>
#include <functional>
#include <optional>
#include <vector>

#include "io/hf_checkpoint.h"
#include "model/model.h"

namespace claw::model {

struct SaveOptions {
  // Stored dtype; unset keeps the model's.
  std::optional<torch::ScalarType> dtype;
  // Replace an existing output directory (only once the new one is complete).
  bool replace = false;
  // Files copied into the directory under the given names (tokenizers and their configs).
  std::vector<std::pair<std::filesystem::path, std::string>> extra_files;
  // Files written into the directory: name and contents (compression.json, ...).
  std::vector<std::pair<std::string, std::string>> generated_files;
  // Writes anything else into the directory before it appears (a PEFT adapter folder).
  std::function<void(const std::filesystem::path& staging)> write_more;
  std::size_t max_shard_bytes = io::kDefaultMaxShardBytes;
};

// Writes config.json and every tensor of `config`'s layout, asking `produce` for each tensor in
// turn so that only one is materialised at a time. The directory appears atomically.
void write_model_dir(const ModelConfig& config, torch::ScalarType dtype,
                     const std::function<torch::Tensor(const TensorSpec&)>& produce,
                     const std::filesystem::path& out, const SaveOptions& options);

void save_model(const Model& model, const std::filesystem::path& out, const SaveOptions& options);

}  // namespace claw::model
