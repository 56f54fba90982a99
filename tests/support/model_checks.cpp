#include "support/model_checks.h"

#include <ATen/CPUGeneratorImpl.h>

#include <algorithm>

#include "model/decoder.h"
#include "model/kv_cache.h"
#include "model/layout.h"
#include "model/load.h"
#include "model/presets.h"
#include "support/test_support.h"

namespace claw::testing {

model::ModelConfig every_feature_config() {
  model::ModelConfig c;
  c.architecture = model::Architecture::kQwen2;
  c.vocab_size = 64;
  c.hidden_size = 32;
  c.num_layers = 2;
  c.num_heads = 4;
  c.num_kv_heads = 2;
  c.head_dim = 8;
  c.intermediate_sizes = {40, 56};
  c.kv_heads = {2, 1};  // the second layer as if one KV group had been pruned
  c.rms_norm_eps = 1e-5;
  // With θ = 100 and head_dim 8 the wavelengths are 6.3, 19.9, 62.8 and 199 positions; against
  // cut-offs of 32/4 = 8 and 32/1 = 32 that puts one pair in the kept band, one in the
  // interpolated band and two in the slowed band.
  c.rope_theta = 100;
  c.rope_scaling = model::RopeScaling{4.0, 1.0, 4.0, 32};
  c.max_position_embeddings = 128;
  c.tie_word_embeddings = false;
  c.qkv_bias = true;
  c.o_bias = true;
  c.mlp_bias = true;
  return c;
}

model::Model every_feature_model(const model::ModelConfig& config, torch::ScalarType dtype) {
  torch::manual_seed(7);
  model::Model model = model::random_model(config, 11, torch::kFloat32);
  for (const model::TensorSpec& spec : model::tensor_layout(model.config)) {
    torch::Tensor& t = model::tensor_slot(model, spec);
    t = (spec.group == model::ParamGroup::kNorm ? 1 + 0.3 * torch::randn_like(t) : t * 12)
            .to(dtype);
  }
  return model;
}

model::Model load_stories260k() {
  return model::load_model(data_path("models/stories260K/stories260K.bin"));
}

torch::Tensor random_tokens(const model::ModelConfig& config, std::int64_t batch,
                            std::int64_t length, std::uint64_t seed) {
  at::Generator generator = at::detail::createCPUGenerator(seed);
  return at::randint(std::min<std::int64_t>(config.vocab_size, 500), {batch, length}, generator,
                     torch::kLong);
}

std::vector<std::vector<std::int32_t>> random_sequences(const model::ModelConfig& config,
                                                        std::int64_t count, std::int64_t length,
                                                        std::uint64_t seed) {
  const torch::Tensor tokens = random_tokens(config, count, length, seed).to(torch::kInt);
  std::vector<std::vector<std::int32_t>> sequences;
  for (std::int64_t i = 0; i < count; ++i) {
    const torch::Tensor row = tokens[i].contiguous();
    sequences.emplace_back(row.data_ptr<std::int32_t>(), row.data_ptr<std::int32_t>() + length);
  }
  return sequences;
}

double cached_decoding_error(const model::Model& model, const torch::Tensor& tokens,
                             std::int64_t prompt) {
  torch::NoGradGuard no_grad;
  const std::int64_t length = tokens.size(1);
  const torch::Tensor whole = model::forward(model, tokens);
  model::KvCache cache(model.config, tokens.size(0), length, model.device(), model.dtype());
  double error =
      (model::forward(model, tokens.narrow(1, 0, prompt), {}, &cache) - whole.narrow(1, 0, prompt))
          .abs()
          .max()
          .item<double>();
  for (std::int64_t t = prompt; t < length; ++t) {
    const torch::Tensor step = model::forward(model, tokens.narrow(1, t, 1), {}, &cache);
    error = std::max(error, (step.squeeze(1) - whole.select(1, t)).abs().max().item<double>());
  }
  return error;
}

double largest_logit_difference(const model::Model& a, const model::Model& b, std::uint64_t seed) {
  torch::NoGradGuard no_grad;
  const torch::Tensor tokens = random_tokens(a.config, 2, 17, seed);
  return (model::forward(a, tokens) - model::forward(b, tokens)).abs().max().item<double>();
}

}  // namespace claw::testing
