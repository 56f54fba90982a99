#include "support/model_checks.h"

#include <ATen/CPUGeneratorImpl.h>

#include <algorithm>

#include "model/decoder.h"
#include "model/kv_cache.h"
#include "model/load.h"
#include "support/test_support.h"

namespace claw::testing {

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
