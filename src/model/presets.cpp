#include "model/presets.h"

#include <ATen/CPUGeneratorImpl.h>

#include <map>

#include "core/error.h"
#include "core/format.h"

namespace claw::model {
namespace {

struct Preset {
  Architecture architecture;
  std::int64_t vocab, hidden, intermediate, layers, heads, kv_heads, max_positions;
  double rope_theta, eps;
  bool tied;
  std::int64_t bos, eos;
  bool llama3_rope_scaling;
  double rope_factor;
};

// Values from each model's published config.json.
const std::map<std::string, Preset>& presets() {
  using A = Architecture;
  static const std::map<std::string, Preset> table = {
      {"qwen2.5-0.5b",
       {A::kQwen2, 151936, 896, 4864, 24, 14, 2, 32768, 1e6, 1e-6, true, 151643, 151643, false, 0}},
      {"qwen2.5-1.5b",
       {A::kQwen2, 151936, 1536, 8960, 28, 12, 2, 131072, 1e6, 1e-6, true, 151643, 151643, false,
        0}},
      {"qwen2.5-7b",
       {A::kQwen2, 152064, 3584, 18944, 28, 28, 4, 131072, 1e6, 1e-6, false, 151643, 151643, false,
        0}},
      {"qwen2.5-14b",
       {A::kQwen2, 152064, 5120, 13824, 48, 40, 8, 131072, 1e6, 1e-5, false, 151643, 151643, false,
        0}},
      {"llama-3.2-1b",
       {A::kLlama, 128256, 2048, 8192, 16, 32, 8, 131072, 5e5, 1e-5, true, 128000, 128001, true,
        32}},
      {"llama-3.1-8b",
       {A::kLlama, 128256, 4096, 14336, 32, 32, 8, 131072, 5e5, 1e-5, false, 128000, 128001, true,
        8}},
      // A few million parameters with the real vocabularies, so the real tokenizers fit.
      {"tiny-qwen2",
       {A::kQwen2, 151936, 32, 88, 2, 4, 2, 4096, 1e6, 1e-6, true, 151643, 151643, false, 0}},
      {"tiny-llama3",
       {A::kLlama, 128256, 32, 96, 2, 4, 2, 8192, 5e5, 1e-5, false, 128000, 128001, true, 8}},
  };
  return table;
}

}  // namespace

std::vector<std::string> preset_names() {
  std::vector<std::string> names;
  for (const auto& [name, preset] : presets()) names.push_back(name);
  return names;
}

ModelConfig preset_config(const std::string& name) {
  const auto it = presets().find(name);
  if (it == presets().end()) {
    CLAW_FAIL("unknown preset '", name, "' (known: ", join(preset_names()), ")");
  }
  const Preset& p = it->second;
  ModelConfig c;
  c.architecture = p.architecture;
  c.vocab_size = p.vocab;
  c.hidden_size = p.hidden;
  c.num_layers = p.layers;
  c.num_heads = p.heads;
  c.num_kv_heads = p.kv_heads;
  c.head_dim = p.hidden / p.heads;
  c.intermediate_sizes.assign(static_cast<std::size_t>(p.layers), p.intermediate);
  c.kv_heads.assign(static_cast<std::size_t>(p.layers), p.kv_heads);
  c.rms_norm_eps = p.eps;
  c.rope_theta = p.rope_theta;
  if (p.llama3_rope_scaling) c.rope_scaling = RopeScaling{p.rope_factor, 1.0, 4.0, 8192};
  c.max_position_embeddings = p.max_positions;
  c.tie_word_embeddings = p.tied;
  c.qkv_bias = p.architecture == Architecture::kQwen2;
  c.bos_token_id = p.bos;
  c.eos_token_ids = {p.eos};
  c.passthrough["initializer_range"] = 0.02;
  validate_config(c, "preset " + name);
  return c;
}

torch::Tensor random_tensor(const TensorSpec& spec, std::uint64_t seed, torch::ScalarType dtype) {
  const bool norm = spec.group == ParamGroup::kNorm;
  if (norm) return torch::ones(spec.shape, torch::TensorOptions().dtype(dtype));
  // FNV-1a of the name: unlike std::hash, the same on every platform.
  std::uint64_t tensor_seed = 0xcbf29ce484222325ULL ^ seed;
  for (unsigned char ch : spec.name) tensor_seed = (tensor_seed ^ ch) * 0x100000001b3ULL;
  at::Generator generator = at::detail::createCPUGenerator(tensor_seed);
  return at::normal(0.0, 0.02, spec.shape, generator, torch::TensorOptions().dtype(torch::kFloat32))
      .to(dtype);
}

Model random_model(const ModelConfig& config, std::uint64_t seed, torch::ScalarType dtype,
                   torch::Device device) {
  Model model = empty_model(config);
  for (const TensorSpec& spec : tensor_layout(config)) {
    tensor_slot(model, spec) = random_tensor(spec, seed, dtype).to(device);
  }
  return model;
}

}  // namespace claw::model
