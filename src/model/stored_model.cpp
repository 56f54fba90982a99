#include "model/stored_model.h"

#include <cstring>
#include <optional>
#include <set>

#include "core/error.h"
#include "core/format.h"
#include "core/log.h"
#include "core/mapped_file.h"
#include "io/gguf.h"
#include "io/gguf_quant.h"
#include "io/hf_checkpoint.h"
#include "io/llama2c.h"
#include "model/gguf_model.h"
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

std::optional<io::DType> gguf_view_dtype(io::GgmlType type) {
  switch (type) {
    case io::GgmlType::kF32:
      return io::DType::kF32;
    case io::GgmlType::kF16:
      return io::DType::kF16;
    case io::GgmlType::kBF16:
      return io::DType::kBF16;
    case io::GgmlType::kQ8_0:
      break;
  }
  return std::nullopt;  // dequantised to float32
}

// The first `columns` of every row of a row-major [rows, stored_columns] view, copied.
StoredModel::Source narrow_columns(const io::TensorView& view, std::int64_t columns) {
  const std::size_t element = io::dtype_size(view.dtype);
  const std::int64_t rows = view.shape[0], stored = view.shape[1];
  auto bytes =
      std::make_shared<std::vector<std::byte>>(static_cast<std::size_t>(rows * columns) * element);
  for (std::int64_t r = 0; r < rows; ++r) {
    std::memcpy(bytes->data() + static_cast<std::size_t>(r * columns) * element,
                view.data + static_cast<std::size_t>(r * stored) * element,
                static_cast<std::size_t>(columns) * element);
  }
  io::TensorView out{view.dtype, {rows, columns}, bytes->data(), bytes->size()};
  return {out, 0, std::move(bytes)};
}

}  // namespace

StoredModel::StoredModel(const fs::path& path) : path_(path) {
  if (is_hf_model(path)) {
    hf_ = std::make_unique<io::HfCheckpoint>(path);
    config_ = config_from_hf(hf_->config(), hf_->config_source());
  } else if (io::is_gguf_file(path) || path.extension() == ".gguf") {
    // A .gguf file without the magic is refused as a GGUF file, not misread as llama2.c.
    gguf_ = std::make_unique<io::GgufFile>(path);
    GgufModelConfig read = config_from_gguf(*gguf_);
    config_ = std::move(read.config);
    gguf_interleaved_rope_ = read.layout.info().interleaved_rope;
    for (const TensorSpec& spec : tensor_layout(read.layout.stored_config(config_))) {
      gguf_stored_shapes_[gguf_tensor_name(spec)] = spec.shape;
    }
  } else {
    llama2c_ = std::make_unique<io::Llama2cCheckpoint>(path);
    config_ = config_from_llama2c(llama2c_->header());
    validate_config(config_, path.string());
  }
}

StoredModel::~StoredModel() = default;

torch::ScalarType StoredModel::dtype() const {
  if (gguf_) {
    // Q8_0 is dequantised to float32.
    const io::GgufTensor* embedding = gguf_->find_tensor("token_embd.weight");
    return to_scalar_type(gguf_view_dtype(embedding->type).value_or(io::DType::kF32));
  }
  // llama2.c checkpoints store float32; a HF checkpoint's dtype is that of its token embedding
  // (the first tensor of the layout).
  return to_scalar_type(source(tensor_layout(config_).front()).view.dtype);
}

StoredModel::Source StoredModel::source(const TensorSpec& spec) const {
  if (gguf_) return gguf_source(spec);
  return hf_ ? hf_source(spec) : llama2c_source(spec);
}

StoredModel::Source StoredModel::gguf_source(const TensorSpec& spec) const {
  const std::string name = gguf_tensor_name(spec);
  const io::GgufTensor* stored = gguf_->find_tensor(name);
  CLAW_CHECK(stored != nullptr, path_.string(), ": missing tensor '", name,
             "' that a model with this metadata has");
  const std::vector<std::int64_t> shape = stored->shape();
  // A padded file (claw.kv_heads, claw.intermediate_sizes) stores rows (q/k/v, gate, up) or
  // columns (o, down) beyond the layer's; the first ones are the layer's.
  const std::vector<std::int64_t>& expected = gguf_stored_shapes_.at(name);
  CLAW_CHECK(shape == expected, path_.string(), ": tensor '", name, "' has shape ",
             shape_text(shape), " but the metadata implies ", shape_text(expected));
  const bool rows_padded = shape[0] > spec.shape[0];
  const bool columns_padded = shape.size() == 2 && shape[1] > spec.shape[1];
  Source out;
  if (const std::optional<io::DType> dtype = gguf_view_dtype(stored->type)) {
    out.view = {*dtype, shape, stored->data, stored->nbytes};
  } else {
    auto values = std::make_shared<std::vector<float>>(io::gguf_tensor_floats(*stored));
    out.view = {io::DType::kF32, shape, reinterpret_cast<const std::byte*>(values->data()),
                values->size() * sizeof(float)};
    out.owner = std::move(values);
  }
  if (rows_padded) {
    out.view.nbytes = out.view.nbytes / static_cast<std::size_t>(shape[0]) *
                      static_cast<std::size_t>(spec.shape[0]);
    out.view.shape = spec.shape;
  }
  if (columns_padded) out = narrow_columns(out.view, spec.shape[1]);
  if (gguf_interleaved_rope_ && is_gguf_qk(spec.role)) {
    const bool query = spec.role == TensorRole::kQWeight || spec.role == TensorRole::kQBias;
    out.interleaved_heads =
        query ? config_.layer_heads(spec.layer) : config_.layer_kv_heads(spec.layer);
  }
  return out;
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
  torch::Tensor loaded = tensor_from_view(s.view, type, device);
  // The mapped pages just read would otherwise stay resident until the file is closed, which
  // doubles the peak of loading a model in its stored dtype.
  if (!s.owner) release_mapped_pages(s.view.data, s.view.nbytes);
  if (s.interleaved_heads == 0) return loaded;
  return interleaved_to_half_rotation(loaded, s.interleaved_heads);
}

void StoredModel::check_nothing_unexpected() const {
  if (gguf_) {
    // The padding of sublayers the model lacks is expected, and read by nothing.
    for (const io::GgufTensor& tensor : gguf_->tensors()) {
      CLAW_CHECK(tensor.name == "rope_freqs.weight" || gguf_stored_shapes_.count(tensor.name) != 0,
                 path_.string(), ": unexpected tensor '", tensor.name,
                 "' (not part of a model with this metadata)");
    }
    return;
  }
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
