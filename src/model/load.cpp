#include "model/load.h"

#include "core/error.h"
#include "core/format.h"
#include "core/system_memory.h"
#include "model/layout.h"
#include "model/stored_model.h"

namespace claw::model {
namespace fs = std::filesystem;

torch::Tensor interleaved_to_half_rotation(const torch::Tensor& weight, std::int64_t heads) {
  const std::int64_t rows = weight.size(0), in = weight.dim() == 2 ? weight.size(1) : 1;
  const std::int64_t half = rows / heads / 2;
  // Row h*hd + 2j + k (pair j, part k) moves to h*hd + k*hd/2 + j.
  return weight.reshape({heads, half, 2, in}).transpose(1, 2).reshape(weight.sizes()).contiguous();
}

torch::Tensor half_rotation_to_interleaved(const torch::Tensor& weight, std::int64_t heads) {
  const std::int64_t rows = weight.size(0), in = weight.dim() == 2 ? weight.size(1) : 1;
  const std::int64_t half = rows / heads / 2;
  // Row h*hd + k*hd/2 + j moves back to h*hd + 2j + k.
  return weight.reshape({heads, 2, half, in}).transpose(1, 2).reshape(weight.sizes()).contiguous();
}

std::int64_t weight_bytes(const ModelConfig& config, torch::ScalarType type) {
  return count_parameters(config).total() * static_cast<std::int64_t>(c10::elementSize(type));
}

bool weights_fit(const ModelConfig& config, torch::ScalarType type, torch::Device device) {
  if (!device.is_cpu()) return true;
  const std::optional<std::int64_t> available = available_memory_bytes();
  return !available || weight_bytes(config, type) <= *available;
}

void check_weights_fit(const ModelConfig& config, torch::ScalarType type,
                       std::int64_t available_bytes, const std::string& source) {
  const std::int64_t needed = weight_bytes(config, type);
  CLAW_CHECK(needed <= available_bytes, source, ": its weights need ", byte_size(needed), " in ",
             c10::toString(type), " but only ", byte_size(available_bytes),
             " of memory is available");
}

Model load_model(const fs::path& path, const LoadOptions& options) {
  const StoredModel stored(path);
  Model model = empty_model(stored.config());
  const torch::ScalarType type = options.dtype.value_or(stored.dtype());
  // Checked against the memory free now, on the CPU (LibTorch reports a GPU that is too small
  // by itself).
  if (!weights_fit(model.config, type, options.device)) {
    check_weights_fit(model.config, type, available_memory_bytes().value_or(0), path.string());
  }
  for (const TensorSpec& spec : tensor_layout(model.config)) {
    tensor_slot(model, spec) = stored.tensor(spec, type, options.device);
  }
  stored.check_nothing_unexpected();
  return model;
}

ModelConfig read_model_config(const fs::path& path) {
  return StoredModel(path).config();
}

torch::ScalarType loaded_dtype(const fs::path& path, const LoadOptions& options) {
  if (options.dtype) return *options.dtype;
  return StoredModel(path).dtype();
}

}  // namespace claw::model
