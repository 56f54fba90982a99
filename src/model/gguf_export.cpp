#include "model/gguf_export.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <map>

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

// Whether a layer tensor belongs to its attention sublayer (its norm included).
bool is_attention_tensor(const TensorSpec& spec) {
  return spec.group == ParamGroup::kAttention || spec.role == TensorRole::kAttnNorm;
}

// The layers whose entry of `sizes` is below `widest`.
std::vector<std::int64_t> narrower_layers(const std::vector<std::int64_t>& sizes,
                                          std::int64_t widest) {
  std::vector<std::int64_t> layers;
  for (std::size_t l = 0; l < sizes.size(); ++l) {
    if (sizes[l] < widest) layers.push_back(static_cast<std::int64_t>(l));
  }
  return layers;
}

// Every layer padded to the widest, for llama.cpp's llama and qwen2 loaders, which build each
// layer with layer 0's head count and one FFN width.
GgufPlan padded_to_widest(const ModelConfig& c, GgufArchitecture architecture) {
  const GgufArchitectureInfo& info = gguf_architecture_info(architecture);
  const std::string arch = info.name;
  CLAW_CHECK(info.projection_biases || (!c.o_bias && !c.mlp_bias), "a ", arch,
             " model with o_proj or MLP biases cannot be padded into ", arch, " GGUF: llama.cpp's ",
             arch, " graph has no place for them; export it without --pad (as deci)");
  const std::int64_t kv = *std::max_element(c.kv_heads.begin(), c.kv_heads.end());
  const std::int64_t ffn =
      *std::max_element(c.intermediate_sizes.begin(), c.intermediate_sizes.end());
  CLAW_CHECK(kv > 0 && ffn > 0,
             "a model with no attention or no MLP left in any layer cannot be padded into ", arch,
             " GGUF; export it without --pad (as deci)");
  CLAW_CHECK(info.any_query_width || kv * c.group_size() * c.head_dim == c.hidden_size, "a ", arch,
             " model with fewer attention heads than hidden_size / head_dim cannot be padded "
             "into ",
             arch, " GGUF: llama.cpp's ", arch,
             " loader assumes heads × head_dim = hidden_size; export it without --pad (as deci)");
  GgufPlan plan;
  plan.layout = {architecture, std::vector<std::int64_t>(c.kv_heads.size(), kv),
                 std::vector<std::int64_t>(c.intermediate_sizes.size(), ffn)};
  if (std::vector<std::int64_t> layers = narrower_layers(c.kv_heads, kv); !layers.empty()) {
    plan.paddings.push_back({concat("KV heads zero-padded to the widest layer's ", kv, " (", arch,
                                    " reads one head count)"),
                             std::move(layers), true, 0});
  }
  if (std::vector<std::int64_t> layers = narrower_layers(c.intermediate_sizes, ffn);
      !layers.empty()) {
    plan.paddings.push_back({concat("MLP widths zero-padded to the widest layer's ", ffn, " (",
                                    arch, " reads one feed_forward_length)"),
                             std::move(layers), false, 0});
  }
  return plan;
}

// As deci, each layer as it is, but for the two shapes its loader and graph cannot take: the
// head size comes from layer 0's head count, and a layer of FFN width 0 is skipped whole,
// attention included.
GgufPlan exact_as_deci(const ModelConfig& c) {
  GgufPlan plan;
  plan.layout = {GgufArchitecture::kDeci, c.kv_heads, c.intermediate_sizes};
  GgufLayout& layout = plan.layout;
  if (layout.kv_heads[0] == 0) {
    layout.kv_heads[0] = 1;
    plan.paddings.push_back(
        {"one zero KV group in layer 0, which has no attention (llama.cpp "
         "takes the head size from layer 0's head count)",
         {0},
         true,
         0});
  }
  std::vector<std::int64_t> mlp_free;
  for (std::size_t l = 0; l < layout.kv_heads.size(); ++l) {
    if (layout.kv_heads[l] > 0 && layout.ffn_widths[l] == 0) {
      layout.ffn_widths[l] = 1;
      mlp_free.push_back(static_cast<std::int64_t>(l));
    }
  }
  if (!mlp_free.empty()) {
    plan.paddings.push_back(
        {"one zero FFN channel in each layer with attention but no MLP "
         "(llama.cpp's deci graph skips a layer of FFN width 0 whole, "
         "attention included)",
         std::move(mlp_free), false, 0});
  }
  return plan;
}

io::GgufValue i32_per_layer(const std::vector<std::int64_t>& values) {
  return io::GgufValue::i32_array(std::vector<std::int32_t>(values.begin(), values.end()));
}

io::GgufMetadata architecture_metadata(const ModelConfig& c, const GgufExportOptions& options,
                                       const GgufLayout& layout) {
  using V = io::GgufValue;
  const GgufArchitectureInfo& info = layout.info();
  const std::string arch = info.name;
  const auto u32 = [](std::int64_t n) { return V::u32(static_cast<std::uint32_t>(n)); };
  std::vector<std::int64_t> heads;
  for (std::int64_t kv : layout.kv_heads) heads.push_back(kv * c.group_size());
  // deci states each layer's sizes; llama and qwen2 one value for all.
  const auto per_layer = [&](const std::vector<std::int64_t>& values) {
    return info.per_layer_shapes ? i32_per_layer(values) : u32(values.front());
  };
  io::GgufMetadata m;
  m.emplace_back("general.architecture", V::string(arch));
  m.emplace_back("general.name", V::string(options.name));
  m.emplace_back("general.file_type", V::u32(file_type(options.dtype)));
  const std::string p = arch + ".";
  m.emplace_back(p + "vocab_size", u32(c.vocab_size));
  m.emplace_back(p + "context_length", u32(c.max_position_embeddings));
  m.emplace_back(p + "embedding_length", u32(c.hidden_size));
  m.emplace_back(p + "feed_forward_length", per_layer(layout.ffn_widths));
  m.emplace_back(p + "block_count", u32(c.num_layers));
  m.emplace_back(p + "attention.head_count", per_layer(heads));
  m.emplace_back(p + "attention.head_count_kv", per_layer(layout.kv_heads));
  // llama.cpp's default head size is hidden / layer 0's heads, wrong wherever layers differ.
  if (info.per_layer_shapes || heads.front() * c.head_dim != c.hidden_size) {
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
  // Where the file pads, the model's own sizes, so claw reads back exactly what was written.
  if (layout.ffn_widths != c.intermediate_sizes) {
    m.emplace_back(kGgufIntermediateSizesKey, i32_per_layer(c.intermediate_sizes));
  }
  if (layout.kv_heads != c.kv_heads) m.emplace_back(kGgufKvHeadsKey, i32_per_layer(c.kv_heads));
  if (layout.architecture != uniform_gguf_architecture(c.architecture)) {
    m.emplace_back(kGgufHfArchitectureKey, V::string(architecture_name(c.architecture)));
  }
  return m;
}

// The tensor as the file stores it, in the model's dtype (every step below is exact in any
// dtype; the conversion to the file's type comes after, a few rows at a time for Q8_0): `source`
// (the model's tensor, or none where the file pads a sublayer the model lacks) with q/k rows
// interleaved where the architecture wants it, and zeros appended up to the stored shape (zero
// KV groups come after the kept ones, so each kept query head still reads its own group).
torch::Tensor stored_tensor(const Model& model, const TensorSpec* source, const TensorSpec& stored,
                            bool interleaved_rope) {
  if (source == nullptr) return torch::zeros(stored.shape, torch::kFloat32);
  const ModelConfig& c = model.config;
  torch::Tensor t = tensor_slot(model, *source).detach().to(torch::kCPU);
  if (interleaved_rope && is_gguf_qk(source->role)) {
    const bool query = source->role == TensorRole::kQWeight || source->role == TensorRole::kQBias;
    t = half_rotation_to_interleaved(
        t, query ? c.layer_heads(source->layer) : c.layer_kv_heads(source->layer));
  }
  std::vector<std::int64_t> pad;  // constant_pad_nd's order: last dimension first
  bool padded = false;
  for (std::size_t d = stored.shape.size(); d-- > 0;) {
    const std::int64_t extra = stored.shape[d] - t.size(static_cast<std::int64_t>(d));
    pad.insert(pad.end(), {0, extra});
    padded = padded || extra > 0;
  }
  return (padded ? at::constant_pad_nd(t, pad, 0) : t).contiguous();
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
  // A float32 copy of a whole embedding (151936 × 3584 in a 7B model: 2.2 GB) would outweigh the
  // blocks it becomes; rows go through float32 some megabytes at a time instead.
  constexpr std::int64_t kChunkValues = std::int64_t{1} << 22;
  const torch::Tensor rows = values.reshape({-1, values.size(-1)});
  const std::int64_t chunk_rows = std::max<std::int64_t>(1, kChunkValues / rows.size(1));
  auto blocks = std::make_shared<std::vector<std::byte>>(static_cast<std::size_t>(rows.numel()) /
                                                         io::kQ8BlockValues * io::kQ8BlockBytes);
  std::byte* out = blocks->data();
  for (std::int64_t row = 0; row < rows.size(0); row += chunk_rows) {
    const torch::Tensor chunk = rows.narrow(0, row, std::min(chunk_rows, rows.size(0) - row))
                                    .to(torch::kFloat32)
                                    .contiguous();
    const auto count = static_cast<std::size_t>(chunk.numel());
    io::quantize_q8_0(chunk.data_ptr<float>(), count, out);
    out += count / io::kQ8BlockValues * io::kQ8BlockBytes;
  }
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

GgufPlan plan_gguf_export(const ModelConfig& c, const GgufExportOptions& options) {
  CLAW_CHECK(!c.slicing,
             "a model sliced by SliceGPT cannot be exported to GGUF: llama.cpp's graph has no "
             "place for the residual shortcut matrices");
  const GgufArchitecture uniform = uniform_gguf_architecture(c.architecture);
  if (options.shapes == GgufShapes::kPadToWidest) return padded_to_widest(c, uniform);
  const GgufArchitectureInfo& info = gguf_architecture_info(uniform);
  const bool alike = c.uniform_attention() && c.uniform_mlp() && !c.has_removed_sublayers();
  const bool fits = (info.projection_biases || (!c.o_bias && !c.mlp_bias)) &&
                    (info.any_query_width || c.layer_q_dim(0) == c.hidden_size);
  if (alike && fits) return {{uniform, c.kv_heads, c.intermediate_sizes}, {}};
  return exact_as_deci(c);
}

std::size_t GgufExport::padding_bytes() const {
  std::size_t bytes = 0;
  for (const GgufPadding& padding : plan.paddings) bytes += padding.bytes;
  return bytes;
}

GgufExport gguf_export(const Model& model, const GgufExportOptions& options) {
  const ModelConfig& c = model.config;
  GgufExport out;
  out.plan = plan_gguf_export(c, options);
  const GgufLayout& layout = out.plan.layout;
  out.metadata = architecture_metadata(c, options, layout);
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
  std::map<std::string, TensorSpec> own;
  for (TensorSpec& spec : tensor_layout(c)) own.emplace(spec.name, std::move(spec));
  const bool interleaved = layout.info().interleaved_rope;
  for (const TensorSpec& stored : tensor_layout(layout.stored_config(c))) {
    const auto found = own.find(stored.name);
    const std::optional<TensorSpec> source =
        found == own.end() ? std::nullopt : std::optional<TensorSpec>(found->second);
    io::GgmlType type = stored.shape.size() == 1 ? io::GgmlType::kF32 : ggml_type(options.dtype);
    const std::string name = gguf_tensor_name(stored);
    if (type == io::GgmlType::kQ8_0 && stored.shape.back() % io::kQ8BlockValues != 0) {
      type = io::GgmlType::kF16;
      out.q8_fallbacks.push_back(name);
    }
    std::vector<std::int64_t> dims(stored.shape.rbegin(), stored.shape.rend());
    const std::size_t bytes = io::ggml_nbytes(type, dims);
    out.data_bytes += bytes;
    const std::int64_t padded = stored.numel() - (source ? source->numel() : 0);
    for (GgufPadding& padding : out.plan.paddings) {
      if (padded > 0 && padding.attention == is_attention_tensor(stored) &&
          std::count(padding.layers.begin(), padding.layers.end(), stored.layer) > 0) {
        padding.bytes +=
            static_cast<std::size_t>(static_cast<double>(bytes) * static_cast<double>(padded) /
                                     static_cast<double>(stored.numel()));
      }
    }
    out.tensors.push_back(
        {name, type, dims, [&model, source, stored, interleaved, type] {
           return gguf_bytes(stored_tensor(model, source ? &*source : nullptr, stored, interleaved),
                             type);
         }});
  }
  return out;
}

}  // namespace claw::model
