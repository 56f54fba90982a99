#include "model/stored_model.h"

#include <set>

#include "core/error.h"
#include "core/format.h"
#include "core/log.h"
#include "io/hf_checkpoint.h"
#include "io/llama2c.h"
#include "model/load.h"
#include "model/torch_tensors.h"

namespace claw::model {
namespace fs = std::filesystem;

namespace {

std::string shape_text(const std::vector<std::int64_t>& shape) {
  return concat("[", join(shape), "]");
}

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

// The llama2.c array behind a layout role: its name, and whether it is stacked over layers.
struct Llama2cArray {
  const char* name;
  bool per_layer;
};

Llama2cArray llama2c_array(TensorRole role) {
  switch (role) {
    case TensorRole::kEmbed:
      return {"token_embedding", false};
    case TensorRole::kFinalNorm:
      return {"rms_final", false};
    case TensorRole::kLmHead:
      return {"wcls", false};
    case TensorRole::kAttnNorm:
      return {"rms_att", true};
    case TensorRole::kMlpNorm:
      return {"rms_ffn", true};
    case TensorRole::kQWeight:
      return {"wq", true};
    case TensorRole::kKWeight:
      return {"wk", true};
    case TensorRole::kVWeight:
      return {"wv", true};
    case TensorRole::kOWeight:
      return {"wo", true};
    case TensorRole::kGateWeight:
      return {"w1", true};
    case TensorRole::kDownWeight:
      return {"w2", true};
    case TensorRole::kUpWeight:
      return {"w3", true};
    default:
      break;
  }
  CLAW_FAIL("llama2.c checkpoints have no tensor for this role");
}

// Layer `i` of an array stacked over layers.
io::TensorView layer_slice(const io::TensorView& stacked, std::int64_t i) {
  io::TensorView slice = stacked;
  slice.shape.erase(slice.shape.begin());
  slice.nbytes = stacked.nbytes / static_cast<std::size_t>(stacked.shape.front());
  slice.data = stacked.data + static_cast<std::size_t>(i) * slice.nbytes;
  return slice;
}

}  // namespace

StoredModel::StoredModel(const fs::path& path) : path_(path) {
  if (is_hf_model(path)) {
    hf_ = std::make_unique<io::HfCheckpoint>(path);
    config_ = config_from_hf(hf_->config(), hf_->config_source());
  } else {
    llama2c_ = std::make_unique<io::Llama2cCheckpoint>(path);
    config_ = config_from_llama2c(llama2c_->header());
    validate_config(config_, path.string());
  }
}

StoredModel::~StoredModel() = default;

torch::ScalarType StoredModel::dtype() const {
  // llama2.c checkpoints store float32; a HF checkpoint's dtype is that of its token embedding
  // (the first tensor of the layout).
  return to_scalar_type(source(tensor_layout(config_).front()).view.dtype);
}

StoredModel::Source StoredModel::source(const TensorSpec& spec) const {
  return hf_ ? hf_source(spec) : llama2c_source(spec);
}

StoredModel::Source StoredModel::hf_source(const TensorSpec& spec) const {
  const auto it = hf_->tensors().find(spec.name);
  CLAW_CHECK(it != hf_->tensors().end(), path_.string(), ": missing tensor '", spec.name,
             "' that a ", architecture_name(config_.architecture), " with this config.json has");
  const io::TensorView& view = it->second;
  const std::string file = hf_->file_of(spec.name).string();
  CLAW_CHECK(view.shape == spec.shape, file, ": tensor '", spec.name, "' has shape ",
             shape_text(view.shape), " but config.json implies ", shape_text(spec.shape));
  CLAW_CHECK(is_float(view.dtype), file, ": tensor '", spec.name, "' has dtype ",
             io::dtype_name(view.dtype), "; model weights must be floating point");
  return {view, 0};
}

StoredModel::Source StoredModel::llama2c_source(const TensorSpec& spec) const {
  const Llama2cArray array = llama2c_array(spec.role);
  const io::TensorView& stored = llama2c_->tensors().at(array.name);
  Source out{array.per_layer ? layer_slice(stored, spec.layer) : stored, 0};
  if (spec.role == TensorRole::kQWeight) out.interleaved_heads = config_.layer_heads(spec.layer);
  if (spec.role == TensorRole::kKWeight) out.interleaved_heads = config_.layer_kv_heads(spec.layer);
  CLAW_CHECK(out.view.shape == spec.shape, path_.string(), ": '", array.name, "' has shape ",
             shape_text(out.view.shape), " but the header implies ", shape_text(spec.shape));
  return out;
}

torch::Tensor StoredModel::tensor(const TensorSpec& spec, torch::ScalarType type,
                                  torch::Device device) const {
  const Source s = source(spec);
  if (s.interleaved_heads == 0) return tensor_from_view(s.view, type, device);
  return interleaved_to_half_rotation(tensor_from_view(s.view, type, device), s.interleaved_heads);
}

void StoredModel::check_nothing_unexpected() const {
  if (!hf_) return;  // a llama2.c file holds exactly what its header says
  std::set<std::string> expected;
  for (const TensorSpec& spec : tensor_layout(config_)) expected.insert(spec.name);
  for (const auto& [name, view] : hf_->tensors()) {
    if (expected.count(name) != 0) continue;
    CLAW_CHECK(is_ignorable(name, config_), hf_->file_of(name).string(), ": unexpected tensor '",
               name, "' (not part of a ", architecture_name(config_.architecture),
               " with this config.json)");
    log::debug("ignoring tensor '", name, "'");
  }
}

}  // namespace claw::model
