#include "model/load.h"

#include <set>

#include "core/error.h"
#include "core/format.h"
#include "core/log.h"
#include "core/system_memory.h"
#include "io/hf_checkpoint.h"
#include "io/llama2c.h"
#include "model/layout.h"
#include "model/torch_tensors.h"

namespace claw::model {
namespace fs = std::filesystem;

namespace {

std::string shape_text(const std::vector<std::int64_t>& shape) {
  return concat("[", join(shape), "]");
}

// llama2.c checkpoints store float32.
constexpr torch::ScalarType kLlama2cDtype = torch::kFloat32;

bool is_float(io::DType dtype) {
  return dtype == io::DType::kF32 || dtype == io::DType::kF16 || dtype == io::DType::kBF16 ||
         dtype == io::DType::kF64;
}

// Tensors that older exports carry but that hold nothing the model needs.
bool is_ignorable(const std::string& name, const ModelConfig& config) {
  const bool rope_buffer = name.find("rotary_emb.inv_freq") != std::string::npos;
  const bool tied_head_copy = config.tie_word_embeddings && name == "lm_head.weight";
  return rope_buffer || tied_head_copy;
}

// A HF checkpoint's dtype is that of its token embedding (the first tensor of the layout).
torch::ScalarType stored_dtype(const io::HfCheckpoint& checkpoint, const ModelConfig& config) {
  const std::string name = tensor_layout(config).front().name;
  const auto embed = checkpoint.tensors().find(name);
  CLAW_CHECK(embed != checkpoint.tensors().end(), checkpoint.config_source(),
             ": the checkpoint it describes is missing tensor '", name, "'");
  return to_scalar_type(embed->second.dtype);
}

// The weights' check against the memory free now, on the CPU (LibTorch reports a GPU that is too
// small by itself).
void check_weights_fit_now(const ModelConfig& config, torch::ScalarType type,
                           const LoadOptions& options, const std::string& source) {
  if (!options.device.is_cpu()) return;
  if (const std::optional<std::int64_t> available = available_memory_bytes()) {
    check_weights_fit(config, type, *available, source);
  }
}

Model load_hf(const fs::path& dir, const LoadOptions& options) {
  const io::HfCheckpoint checkpoint(dir);
  Model model = empty_model(config_from_hf(checkpoint.config(), checkpoint.config_source()));
  const std::vector<TensorSpec> layout = tensor_layout(model.config);
  const auto& stored = checkpoint.tensors();
  const torch::ScalarType type = options.dtype.value_or(stored_dtype(checkpoint, model.config));
  check_weights_fit_now(model.config, type, options, dir.string());

  std::set<std::string> expected;
  for (const TensorSpec& spec : layout) {
    expected.insert(spec.name);
    const auto it = stored.find(spec.name);
    CLAW_CHECK(it != stored.end(), dir.string(), ": missing tensor '", spec.name, "' that a ",
               architecture_name(model.config.architecture), " with this config.json has");
    const io::TensorView& view = it->second;
    const std::string file = checkpoint.file_of(spec.name).string();
    CLAW_CHECK(view.shape == spec.shape, file, ": tensor '", spec.name, "' has shape ",
               shape_text(view.shape), " but config.json implies ", shape_text(spec.shape));
    CLAW_CHECK(is_float(view.dtype), file, ": tensor '", spec.name, "' has dtype ",
               io::dtype_name(view.dtype), "; model weights must be floating point");
    tensor_slot(model, spec) = tensor_from_view(view, type, options.device);
  }
  for (const auto& [name, view] : stored) {
    if (expected.count(name) != 0) continue;
    CLAW_CHECK(is_ignorable(name, model.config), checkpoint.file_of(name).string(),
               ": unexpected tensor '", name, "' (not part of a ",
               architecture_name(model.config.architecture), " with this config.json)");
    log::debug("ignoring tensor '", name, "'");
  }
  return model;
}

Model load_llama2c(const fs::path& path, const LoadOptions& options) {
  const io::Llama2cCheckpoint checkpoint(path);
  Model model = empty_model(config_from_llama2c(checkpoint.header()));
  const ModelConfig& c = model.config;
  validate_config(c, path.string());
  const torch::ScalarType type = options.dtype.value_or(kLlama2cDtype);
  check_weights_fit_now(c, type, options, path.string());
  auto load = [&](const char* name) {
    return tensor_from_view(checkpoint.tensors().at(name), type, options.device);
  };
  model.embed = load("token_embedding");
  model.final_norm = load("rms_final");
  if (!c.tie_word_embeddings) model.lm_head = load("wcls");
  const torch::Tensor rms_att = load("rms_att"), rms_ffn = load("rms_ffn");
  const torch::Tensor wq = load("wq"), wk = load("wk"), wv = load("wv"), wo = load("wo");
  const torch::Tensor w1 = load("w1"), w2 = load("w2"), w3 = load("w3");
  for (std::int64_t i = 0; i < c.num_layers; ++i) {
    DecoderLayer& layer = model.layers[static_cast<std::size_t>(i)];
    layer.attn_norm = rms_att[i].clone();
    layer.mlp_norm = rms_ffn[i].clone();
    layer.q.weight = interleaved_to_half_rotation(wq[i], c.num_heads);
    layer.k.weight = interleaved_to_half_rotation(wk[i], c.num_kv_heads);
    layer.v.weight = wv[i].clone();
    layer.o.weight = wo[i].clone();
    layer.gate.weight = w1[i].clone();
    layer.down.weight = w2[i].clone();
    layer.up.weight = w3[i].clone();
  }
  return model;
}

}  // namespace

torch::Tensor interleaved_to_half_rotation(const torch::Tensor& weight, std::int64_t heads) {
  const std::int64_t rows = weight.size(0), in = weight.size(1);
  const std::int64_t half = rows / heads / 2;
  // Row h*hd + 2j + k (pair j, part k) moves to h*hd + k*hd/2 + j.
  return weight.reshape({heads, half, 2, in}).transpose(1, 2).reshape({rows, in}).contiguous();
}

namespace {

// Whether `path` is a HF directory (else a llama2.c file), refusing what is neither.
bool is_hf_model(const fs::path& path) {
  CLAW_CHECK(fs::exists(path), path.string(), ": no such model file or directory");
  if (fs::is_directory(path)) return true;
  // A file of a HF checkpoint is not a model by itself; say so rather than misreading it as a
  // llama2.c header.
  CLAW_CHECK(path.extension() != ".safetensors" && path.extension() != ".json", path.string(),
             ": is one file of a HF checkpoint; pass its directory (", path.parent_path().string(),
             ")");
  return false;
}

}  // namespace

void check_weights_fit(const ModelConfig& config, torch::ScalarType type,
                       std::int64_t available_bytes, const std::string& source) {
  const std::int64_t needed = count_parameters(config).total() * c10::elementSize(type);
  CLAW_CHECK(needed <= available_bytes, source, ": its weights need ", byte_size(needed), " in ",
             c10::toString(type), " but only ", byte_size(available_bytes),
             " of memory is available");
}

Model load_model(const fs::path& path, const LoadOptions& options) {
  return is_hf_model(path) ? load_hf(path, options) : load_llama2c(path, options);
}

ModelConfig read_model_config(const fs::path& path) {
  if (is_hf_model(path)) {
    const io::HfCheckpoint checkpoint(path);
    return config_from_hf(checkpoint.config(), checkpoint.config_source());
  }
  return config_from_llama2c(io::Llama2cCheckpoint(path).header());
}

torch::ScalarType loaded_dtype(const fs::path& path, const LoadOptions& options) {
  if (options.dtype) return *options.dtype;
  if (!is_hf_model(path)) return kLlama2cDtype;
  const io::HfCheckpoint checkpoint(path);
  return stored_dtype(checkpoint, config_from_hf(checkpoint.config(), checkpoint.config_source()));
}

}  // namespace claw::model
