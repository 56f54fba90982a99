#include "model/gguf_export.h"

#include <algorithm>

#include "core/error.h"
#include "core/format.h"
#include "io/gguf_quant.h"
#include "model/gguf_model.h"
#include "model/load.h"
#include "model/torch_tensors.h"

namespace claw::model {
namespace {

// general.file_type: llama.cpp's "mostly" type of the file.
std::uint32_t file_type(GgufDtype dtype) {
  switch (dtype) {
    case GgufDtype::kF32:
      return 0;
    case GgufDtype::kF16:
      return 1;
    case GgufDtype::kQ8_0:
      return 7;
    case GgufDtype::kBF16:
      return 32;
  }
  return 0;
}

io::GgmlType ggml_type(GgufDtype dtype) {
  switch (dtype) {
    case GgufDtype::kF32:
      return io::GgmlType::kF32;
    case GgufDtype::kF16:
      return io::GgmlType::kF16;
    case GgufDtype::kBF16:
      return io::GgmlType::kBF16;
    case GgufDtype::kQ8_0:
      return io::GgmlType::kQ8_0;
  }
  return io::GgmlType::kF32;
}

io::GgufMetadata architecture_metadata(const ModelConfig& c, const GgufExportOptions& options,
                                       std::int64_t padded_width);

}  // namespace

void check_gguf_exportable(const ModelConfig& c, const GgufExportOptions& options) {
  const std::string arch = gguf_architecture(c.architecture);
  CLAW_CHECK(!c.slicing,
             "a model sliced by SliceGPT cannot be exported to GGUF: llama.cpp's graph has no "
             "place for the residual shortcut matrices");
  CLAW_CHECK(c.uniform_attention(),
             "a model whose layers have different KV head counts cannot be exported to GGUF: "
             "llama.cpp's ",
             arch, " loader gives every layer's attention tensors the same head count");
  CLAW_CHECK(options.pad_mlp || c.uniform_mlp(),
             "a model whose layers have different MLP widths cannot be exported with --no-pad: "
             "llama.cpp's ",
             arch, " loader reads one feed_forward_length for every layer");
  if (c.architecture == Architecture::kQwen2) {
    CLAW_CHECK(!c.o_bias && !c.mlp_bias,
               "a qwen2 model with o_proj or MLP biases cannot be exported to GGUF: llama.cpp's "
               "qwen2 graph has no place for them");
    CLAW_CHECK(c.layer_q_dim(0) == c.hidden_size,
               "a qwen2 model with fewer attention heads than hidden_size / head_dim cannot be "
               "exported to GGUF: llama.cpp's qwen2 loader assumes heads × head_dim = "
               "hidden_size");
  }
}

namespace {

io::GgufMetadata architecture_metadata(const ModelConfig& c, const GgufExportOptions& options,
                                       std::int64_t padded_width) {
  using V = io::GgufValue;
  const std::string arch = gguf_architecture(c.architecture);
  const auto u32 = [](std::int64_t n) { return V::u32(static_cast<std::uint32_t>(n)); };
  io::GgufMetadata m;
  m.emplace_back("general.architecture", V::string(arch));
  m.emplace_back("general.name", V::string(options.name));
  m.emplace_back("general.file_type", V::u32(file_type(options.dtype)));
  const std::string p = arch + ".";
  m.emplace_back(p + "vocab_size", u32(c.vocab_size));
  m.emplace_back(p + "context_length", u32(c.max_position_embeddings));
  m.emplace_back(p + "embedding_length", u32(c.hidden_size));
  m.emplace_back(p + "feed_forward_length", u32(padded_width));
  m.emplace_back(p + "block_count", u32(c.num_layers));
  m.emplace_back(p + "attention.head_count", u32(c.layer_heads(0)));
  m.emplace_back(p + "attention.head_count_kv", u32(c.layer_kv_heads(0)));
  if (c.layer_heads(0) * c.head_dim != c.hidden_size) {
    m.emplace_back(p + "attention.key_length", u32(c.head_dim));
    m.emplace_back(p + "attention.value_length", u32(c.head_dim));
  }
  m.emplace_back(p + "rope.dimension_count", u32(c.head_dim));
  m.emplace_back(p + "rope.freq_base", V::f32(static_cast<float>(c.rope_theta)));
  m.emplace_back(p + "attention.layer_norm_rms_epsilon",
                 V::f32(static_cast<float>(c.rms_norm_eps)));
  if (c.rope_scaling) {
    // llama.cpp takes the scaling from rope_freqs.weight; these keys restore it exactly.
    m.emplace_back(kGgufRopeFactorKey, V::f32(static_cast<float>(c.rope_scaling->factor)));
    m.emplace_back(kGgufRopeLowKey, V::f32(static_cast<float>(c.rope_scaling->low_freq_factor)));
    m.emplace_back(kGgufRopeHighKey, V::f32(static_cast<float>(c.rope_scaling->high_freq_factor)));
    m.emplace_back(kGgufRopeOriginalKey, u32(c.rope_scaling->original_max_position_embeddings));
  }
  if (!c.uniform_mlp()) {
    std::vector<std::int32_t> widths(c.intermediate_sizes.begin(), c.intermediate_sizes.end());
    m.emplace_back(kGgufIntermediateSizesKey, V::i32_array(widths));
  }
  return m;
}

// The tensor as llama.cpp expects it, in float32: q/k rows permuted for llama, narrower MLP
// layers padded with zeros to `width`.
torch::Tensor gguf_layout_tensor(const Model& model, const TensorSpec& spec, std::int64_t width) {
  const ModelConfig& c = model.config;
  torch::Tensor t = tensor_slot(model, spec).detach().to(torch::kCPU, torch::kFloat32);
  if (gguf_permutes_qk(c.architecture) && is_gguf_qk(spec.role)) {
    const bool query = spec.role == TensorRole::kQWeight || spec.role == TensorRole::kQBias;
    t = half_rotation_to_interleaved(
        t, query ? c.layer_heads(spec.layer) : c.layer_kv_heads(spec.layer));
  }
  const std::int64_t missing =
      width - c.intermediate_sizes[static_cast<std::size_t>(std::max<std::int64_t>(spec.layer, 0))];
  const bool rows = spec.role == TensorRole::kGateWeight || spec.role == TensorRole::kGateBias ||
                    spec.role == TensorRole::kUpWeight || spec.role == TensorRole::kUpBias;
  if (missing > 0 && rows) {
    std::vector<std::int64_t> extra(t.sizes().begin(), t.sizes().end());
    extra[0] = missing;
    t = torch::cat({t, torch::zeros(extra, t.options())}, 0);
  } else if (missing > 0 && spec.role == TensorRole::kDownWeight) {
    t = torch::cat({t, torch::zeros({t.size(0), missing}, t.options())}, 1);
  }
  return t.contiguous();
}

io::OwnedBytes gguf_bytes(const torch::Tensor& values, io::GgmlType type) {
  switch (type) {
    case io::GgmlType::kF32:
      return tensor_bytes(values, torch::kFloat32);
    case io::GgmlType::kF16:
      return tensor_bytes(values, torch::kFloat16);
    case io::GgmlType::kBF16:
      return tensor_bytes(values, torch::kBFloat16);
    case io::GgmlType::kQ8_0:
      break;
  }
  auto blocks = std::make_shared<std::vector<std::byte>>(
      io::quantize_q8_0(values.data_ptr<float>(), static_cast<std::size_t>(values.numel())));
  return {blocks, blocks->data(), blocks->size()};
}

}  // namespace

std::optional<GgufDtype> parse_gguf_dtype(std::string_view name) {
  if (name == "f32") return GgufDtype::kF32;
  if (name == "f16") return GgufDtype::kF16;
  if (name == "bf16") return GgufDtype::kBF16;
  if (name == "q8_0") return GgufDtype::kQ8_0;
  return std::nullopt;
}

std::string_view gguf_dtype_name(GgufDtype dtype) {
  return io::ggml_type_name(ggml_type(dtype));
}

GgufExport gguf_export(const Model& model, const GgufExportOptions& options) {
  const ModelConfig& c = model.config;
  check_gguf_exportable(c, options);
  const std::int64_t width =
      *std::max_element(c.intermediate_sizes.begin(), c.intermediate_sizes.end());
  GgufExport out;
  out.metadata = architecture_metadata(c, options, width);
  if (c.rope_scaling) {
    auto factors = std::make_shared<std::vector<float>>(
        llama3_rope_factors(*c.rope_scaling, c.rope_theta, c.head_dim));
    out.tensors.push_back({"rope_freqs.weight",
                           io::GgmlType::kF32,
                           {static_cast<std::int64_t>(factors->size())},
                           [factors] {
                             return io::OwnedBytes{
                                 factors, reinterpret_cast<const std::byte*>(factors->data()),
                                 factors->size() * sizeof(float)};
                           }});
  }
  for (const TensorSpec& spec : tensor_layout(c)) {
    std::vector<std::int64_t> shape = spec.shape;
    std::int64_t padded_elements = 0;
    if (spec.layer >= 0) {
      const std::int64_t ff = c.intermediate_sizes[static_cast<std::size_t>(spec.layer)];
      const std::int64_t other = spec.numel() / ff;
      if (spec.role == TensorRole::kGateWeight || spec.role == TensorRole::kGateBias ||
          spec.role == TensorRole::kUpWeight || spec.role == TensorRole::kUpBias) {
        shape[0] = width;
        padded_elements = (width - ff) * other;
      } else if (spec.role == TensorRole::kDownWeight) {
        shape[1] = width;
        padded_elements = (width - ff) * other;
      }
    }
    io::GgmlType type = shape.size() == 1 ? io::GgmlType::kF32 : ggml_type(options.dtype);
    const std::string name = gguf_tensor_name(spec);
    if (type == io::GgmlType::kQ8_0 && shape.back() % io::kQ8BlockValues != 0) {
      type = io::GgmlType::kF16;
      out.q8_fallbacks.push_back(name);
    }
    std::vector<std::int64_t> dims(shape.rbegin(), shape.rend());
    const std::size_t bytes = io::ggml_nbytes(type, dims);
    out.data_bytes += bytes;
    out.padding_bytes +=
        static_cast<std::size_t>(static_cast<double>(bytes) * static_cast<double>(padded_elements) /
                                 static_cast<double>(io::shape_numel(shape)));
    out.tensors.push_back({name, type, dims, [&model, spec, width, type] {
                             return gguf_bytes(gguf_layout_tensor(model, spec, width), type);
                           }});
  }
  return out;
}

}  // namespace claw::model
