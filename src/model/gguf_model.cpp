#include "model/gguf_model.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <optional>

#include "core/error.h"
#include "core/format.h"

namespace claw::model {
namespace {

struct RoleName {
  TensorRole role;
  const char* name;
};

constexpr RoleName kLayerNames[] = {
    {TensorRole::kAttnNorm, "attn_norm.weight"},  {TensorRole::kQWeight, "attn_q.weight"},
    {TensorRole::kQBias, "attn_q.bias"},          {TensorRole::kKWeight, "attn_k.weight"},
    {TensorRole::kKBias, "attn_k.bias"},          {TensorRole::kVWeight, "attn_v.weight"},
    {TensorRole::kVBias, "attn_v.bias"},          {TensorRole::kOWeight, "attn_output.weight"},
    {TensorRole::kOBias, "attn_output.bias"},     {TensorRole::kMlpNorm, "ffn_norm.weight"},
    {TensorRole::kGateWeight, "ffn_gate.weight"}, {TensorRole::kGateBias, "ffn_gate.bias"},
    {TensorRole::kUpWeight, "ffn_up.weight"},     {TensorRole::kUpBias, "ffn_up.bias"},
    {TensorRole::kDownWeight, "ffn_down.weight"}, {TensorRole::kDownBias, "ffn_down.bias"},
};

// Reads typed metadata, naming the file and the key in every error.
class Keys {
 public:
  explicit Keys(const io::GgufFile& file) : file_(file), source_(file.path().string()) {}

  const io::GgufValue* find(const std::string& key) const { return file_.find(key); }

  const io::GgufValue& required(const std::string& key) const {
    const io::GgufValue* value = find(key);
    CLAW_CHECK(value != nullptr, source_, ": missing metadata key '", key, "'");
    return *value;
  }

  std::int64_t integer(const std::string& key) const { return integer(key, required(key)); }
  std::int64_t integer(const std::string& key, std::int64_t fallback) const {
    const io::GgufValue* value = find(key);
    return value == nullptr ? fallback : integer(key, *value);
  }

  // A count stated once, or once per layer (llama.cpp accepts either).
  std::vector<std::int64_t> per_layer(const std::string& key, std::int64_t layers,
                                      std::optional<std::int64_t> fallback) const {
    const io::GgufValue* found = find(key);
    if (found == nullptr && fallback) {
      return std::vector<std::int64_t>(static_cast<std::size_t>(layers), *fallback);
    }
    const io::GgufValue& value = found != nullptr ? *found : required(key);
    CLAW_CHECK(value.is_integer(), source_, ": metadata key '", key, "' must be an integer");
    if (!value.array) {
      return std::vector<std::int64_t>(static_cast<std::size_t>(layers), integer(key, value));
    }
    CLAW_CHECK(static_cast<std::int64_t>(value.ints.size()) == layers, source_, ": metadata key '",
               key, "' lists ", value.ints.size(), " values for ", layers, " layers");
    return value.ints;
  }

  // The value of a float key, as the shortest decimal that reads back as the stored float, so a
  // config's 1e-6 stored as f32 comes back as 1e-6.
  double real(const std::string& key, double fallback) const {
    const io::GgufValue* value = find(key);
    if (value == nullptr) return fallback;
    CLAW_CHECK(!value->array && value->is_float(), source_, ": metadata key '", key,
               "' must be a float");
    const double stored = value->floats.front();
    if (value->type == io::GgufType::kF64) return stored;
    char text[64];
    const auto result = std::to_chars(text, text + sizeof(text), static_cast<float>(stored));
    *result.ptr = '\0';
    return std::strtod(text, nullptr);
  }

  std::string string(const std::string& key) const {
    const io::GgufValue& value = required(key);
    CLAW_CHECK(!value.array && value.type == io::GgufType::kString, source_, ": metadata key '",
               key, "' must be a string");
    return value.strings.front();
  }

  const std::string& source() const { return source_; }

 private:
  std::int64_t integer(const std::string& key, const io::GgufValue& value) const {
    CLAW_CHECK(!value.array && value.is_integer(), source_, ": metadata key '", key,
               "' must be an integer");
    return value.ints.front();
  }

  const io::GgufFile& file_;
  std::string source_;
};

bool has_tensor(const io::GgufFile& file, const std::string& name) {
  return file.find_tensor(name) != nullptr;
}

std::optional<RopeScaling> read_rope_scaling(const io::GgufFile& file, const Keys& keys,
                                             const ModelConfig& c) {
  if (keys.find(kGgufRopeFactorKey) != nullptr) {
    RopeScaling s;
    s.factor = keys.real(kGgufRopeFactorKey, 1);
    s.low_freq_factor = keys.real(kGgufRopeLowKey, 1);
    s.high_freq_factor = keys.real(kGgufRopeHighKey, 4);
    s.original_max_position_embeddings = keys.integer(kGgufRopeOriginalKey, 8192);
    return s;
  }
  const io::GgufTensor* freqs = file.find_tensor("rope_freqs.weight");
  if (freqs == nullptr) return std::nullopt;
  // A file from another converter states only the factors; claw accepts them when they are
  // Llama 3's published defaults (low 1, high 4, 8192 positions) with the last factor.
  CLAW_CHECK(freqs->type == io::GgmlType::kF32 && freqs->numel() == c.head_dim / 2, keys.source(),
             ": rope_freqs.weight must be F32 with head_dim / 2 values");
  std::vector<float> stored(static_cast<std::size_t>(freqs->numel()));
  std::memcpy(stored.data(), freqs->data, stored.size() * sizeof(float));
  RopeScaling s;
  s.factor = stored.back();
  const std::vector<float> expected = llama3_rope_factors(s, c.rope_theta, c.head_dim);
  for (std::size_t i = 0; i < stored.size(); ++i) {
    CLAW_CHECK(std::fabs(stored[i] - expected[i]) <= 1e-5f * std::fabs(expected[i]), keys.source(),
               ": rope_freqs.weight is not Llama 3's scaling with its default parameters, and "
               "the file has no claw.rope.llama3.* keys to state them");
  }
  return s;
}

// llama.cpp's loaders and graphs (src/models/{llama,qwen2,deci}.cpp): llama and deci rotate
// interleaved pairs (NORM RoPE), qwen2 rotates halves as HF does (NEOX); qwen2's loader sizes
// attn_output by the hidden size and has no o_proj or MLP bias; only deci reads per-layer
// head counts and FFN widths (llama's loader builds every layer with layer 0's).
constexpr GgufArchitectureInfo kGgufArchitectures[] = {
    {GgufArchitecture::kLlama, "llama", true, false, true, true},
    {GgufArchitecture::kQwen2, "qwen2", false, false, false, false},
    {GgufArchitecture::kDeci, "deci", true, true, true, true},
};

}  // namespace

const GgufArchitectureInfo& gguf_architecture_info(GgufArchitecture architecture) {
  for (const GgufArchitectureInfo& info : kGgufArchitectures) {
    if (info.id == architecture) return info;
  }
  CLAW_FAIL("no GGUF architecture ", static_cast<int>(architecture));
}

std::optional<GgufArchitecture> find_gguf_architecture(std::string_view name) {
  for (const GgufArchitectureInfo& info : kGgufArchitectures) {
    if (name == info.name) return info.id;
  }
  return std::nullopt;
}

GgufArchitecture uniform_gguf_architecture(Architecture architecture) {
  return architecture == Architecture::kQwen2 ? GgufArchitecture::kQwen2 : GgufArchitecture::kLlama;
}

ModelConfig GgufLayout::stored_config(const ModelConfig& config) const {
  ModelConfig stored = config;
  stored.kv_heads = kv_heads;
  stored.intermediate_sizes = ffn_widths;
  return stored;
}

std::string gguf_tensor_name(const TensorSpec& spec) {
  switch (spec.role) {
    case TensorRole::kEmbed:
      return "token_embd.weight";
    case TensorRole::kFinalNorm:
      return "output_norm.weight";
    case TensorRole::kLmHead:
      return "output.weight";
    default:
      break;
  }
  for (const RoleName& entry : kLayerNames) {
    if (entry.role == spec.role) return concat("blk.", spec.layer, ".", entry.name);
  }
  CLAW_FAIL("tensor '", spec.name, "' has no GGUF name");
}

bool is_gguf_qk(TensorRole role) {
  return role == TensorRole::kQWeight || role == TensorRole::kQBias ||
         role == TensorRole::kKWeight || role == TensorRole::kKBias;
}

std::vector<float> llama3_rope_factors(const RopeScaling& s, double theta, std::int64_t head_dim) {
  const double low_freq_wavelen =
      static_cast<double>(s.original_max_position_embeddings) / s.low_freq_factor;
  const double high_freq_wavelen =
      static_cast<double>(s.original_max_position_embeddings) / s.high_freq_factor;
  std::vector<float> factors;
  for (std::int64_t i = 0; i < head_dim; i += 2) {
    const auto exponent = static_cast<float>(i) / static_cast<float>(head_dim);
    const auto frequency = static_cast<float>(1.0 / std::pow(theta, exponent));
    const double wavelen = 2 * M_PI / frequency;
    if (wavelen < high_freq_wavelen) {
      factors.push_back(1.0f);
    } else if (wavelen > low_freq_wavelen) {
      factors.push_back(static_cast<float>(s.factor));
    } else {
      const double smooth =
          (static_cast<double>(s.original_max_position_embeddings) / wavelen - s.low_freq_factor) /
          (s.high_freq_factor - s.low_freq_factor);
      factors.push_back(static_cast<float>(1 / ((1 - smooth) / s.factor + smooth)));
    }
  }
  return factors;
}

GgufModelConfig config_from_gguf(const io::GgufFile& file) {
  const Keys keys(file);
  const std::string& source = keys.source();
  const std::string arch = keys.string("general.architecture");
  const std::optional<GgufArchitecture> found = find_gguf_architecture(arch);
  CLAW_CHECK(found.has_value(), source, ": GGUF architecture '", arch,
             "' is not supported (llama, qwen2 and deci are)");
  GgufModelConfig out;
  GgufLayout& layout = out.layout;
  layout.architecture = *found;
  ModelConfig& c = out.config;
  c.architecture = *found == GgufArchitecture::kQwen2 ? Architecture::kQwen2 : Architecture::kLlama;
  if (keys.find(kGgufHfArchitectureKey) != nullptr) {
    const std::string hf = keys.string(kGgufHfArchitectureKey);
    CLAW_CHECK(hf == architecture_name(Architecture::kLlama) ||
                   hf == architecture_name(Architecture::kQwen2),
               source, ": ", kGgufHfArchitectureKey, " '", hf, "' is not a class claw knows");
    c.architecture =
        hf == architecture_name(Architecture::kQwen2) ? Architecture::kQwen2 : Architecture::kLlama;
  }
  const std::string p = arch + ".";
  const io::GgufTensor* embedding = file.find_tensor("token_embd.weight");
  CLAW_CHECK(embedding != nullptr && embedding->dims.size() == 2, source,
             ": missing the 2-D tensor 'token_embd.weight'");
  c.vocab_size = embedding->dims[1];
  c.hidden_size = keys.integer(p + "embedding_length");
  c.num_layers = keys.integer(p + "block_count");
  CLAW_CHECK(c.num_layers >= 1 && c.num_layers <= 4096, source, ": ", p, "block_count ",
             c.num_layers, " is outside 1..4096");
  const std::vector<std::int64_t> heads =
      keys.per_layer(p + "attention.head_count", c.num_layers, std::nullopt);
  layout.kv_heads = keys.per_layer(p + "attention.head_count_kv", c.num_layers, heads.front());
  const bool per_layer = layout.info().per_layer_shapes;
  // The widest layer's counts; every layer with attention shares their ratio, the group size.
  const std::size_t widest = static_cast<std::size_t>(
      std::max_element(layout.kv_heads.begin(), layout.kv_heads.end()) - layout.kv_heads.begin());
  c.num_heads = heads[widest];
  c.num_kv_heads = layout.kv_heads[widest];
  CLAW_CHECK(c.num_heads > 0 && c.num_kv_heads > 0 && c.num_heads % c.num_kv_heads == 0, source,
             ": head counts must be positive, the query heads a multiple of the KV heads");
  for (std::size_t l = 0; l < heads.size(); ++l) {
    CLAW_CHECK(per_layer || (heads[l] == heads.front() && layout.kv_heads[l] == c.num_kv_heads),
               source, ": a ", arch, " model has the same head counts in every layer");
    CLAW_CHECK(heads[l] == layout.kv_heads[l] * c.group_size(), source, ": layer ", l, " has ",
               heads[l], " query heads for ", layout.kv_heads[l],
               " KV heads; claw runs layers with the same group size, and no deci linear "
               "attention (KV heads 0 with query heads)");
  }
  // llama.cpp's default head size divides by layer 0's query heads.
  c.head_dim = keys.integer(p + "attention.key_length",
                            c.hidden_size / (heads.front() > 0 ? heads.front() : c.num_heads));
  CLAW_CHECK(keys.integer(p + "attention.value_length", c.head_dim) == c.head_dim, source, ": ", p,
             "attention.value_length differs from key_length; not supported");
  CLAW_CHECK(keys.integer(p + "rope.dimension_count", c.head_dim) == c.head_dim, source, ": ", p,
             "rope.dimension_count must be the head size ", c.head_dim,
             " (claw rotates whole heads)");
  layout.ffn_widths = keys.per_layer(p + "feed_forward_length", c.num_layers, std::nullopt);
  CLAW_CHECK(per_layer || std::all_of(layout.ffn_widths.begin(), layout.ffn_widths.end(),
                                      [&](std::int64_t w) { return w == layout.ffn_widths[0]; }),
             source, ": a ", arch, " model has the same feed_forward_length in every layer");
  // Where the file pads the model (zero KV groups or channels), claw's keys state its own sizes.
  c.kv_heads = layout.kv_heads;
  c.intermediate_sizes = layout.ffn_widths;
  if (keys.find(kGgufKvHeadsKey) != nullptr) {
    c.kv_heads = keys.per_layer(kGgufKvHeadsKey, c.num_layers, std::nullopt);
  }
  if (keys.find(kGgufIntermediateSizesKey) != nullptr) {
    c.intermediate_sizes = keys.per_layer(kGgufIntermediateSizesKey, c.num_layers, std::nullopt);
  }
  for (std::size_t l = 0; l < heads.size(); ++l) {
    CLAW_CHECK(
        c.kv_heads[l] <= layout.kv_heads[l] && c.intermediate_sizes[l] <= layout.ffn_widths[l],
        source, ": layer ", l, "'s ", kGgufKvHeadsKey, " or ", kGgufIntermediateSizesKey,
        " exceeds what the file stores");
  }
  c.rms_norm_eps = keys.real(p + "attention.layer_norm_rms_epsilon", 1e-5);
  c.rope_theta = keys.real(p + "rope.freq_base", 10000);
  c.max_position_embeddings = keys.integer(p + "context_length");
  c.tie_word_embeddings = !has_tensor(file, "output.weight");
  // Biases are all or none in claw; the first layer that has the sublayer says which.
  const auto first_with = [&](const std::vector<std::int64_t>& sizes) {
    const auto it = std::find_if(sizes.begin(), sizes.end(), [](std::int64_t n) { return n > 0; });
    return concat("blk.", it == sizes.end() ? 0 : it - sizes.begin(), ".");
  };
  const std::string attention_layer = first_with(c.kv_heads),
                    mlp_layer = first_with(c.intermediate_sizes);
  c.qkv_bias = has_tensor(file, attention_layer + "attn_q.bias");
  c.o_bias = has_tensor(file, attention_layer + "attn_output.bias");
  c.mlp_bias = has_tensor(file, mlp_layer + "ffn_down.bias");
  CLAW_CHECK(c.architecture != Architecture::kQwen2 || c.qkv_bias, source,
             ": a qwen2 model needs q/k/v biases (", attention_layer, "attn_q.bias is missing)");
  if (keys.find("tokenizer.ggml.bos_token_id") != nullptr) {
    c.bos_token_id = keys.integer("tokenizer.ggml.bos_token_id");
  }
  if (keys.find("tokenizer.ggml.eos_token_id") != nullptr) {
    c.eos_token_ids = {keys.integer("tokenizer.ggml.eos_token_id")};
  }
  validate_config(c, source);
  validate_config(layout.stored_config(c), source);
  c.rope_scaling = read_rope_scaling(file, keys, c);
  return out;
}

}  // namespace claw::model
