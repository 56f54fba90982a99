#include "model/generate.h"

#include <torch/types.h>

#include <algorithm>

#include "core/error.h"
#include "model/decoder.h"
#include "model/kv_cache.h"

namespace claw::model {

std::vector<std::int64_t> generate(const Model& model, const std::vector<std::int64_t>& prompt,
                                   const GenerateOptions& options,
                                   const std::function<void(std::int64_t)>& on_token) {
  CLAW_CHECK(!prompt.empty(), "generation needs at least one prompt token (e.g. BOS)");
  const std::int64_t steps = std::min(options.steps, model.config.max_position_embeddings);
  // llama2.c counts forward passes: every prompt token is fed, and so is every generated token
  // but the last.
  const std::int64_t new_tokens = steps - static_cast<std::int64_t>(prompt.size()) + 1;
  std::vector<std::int64_t> generated;
  if (new_tokens <= 0) return generated;

  // Not only no gradients: no autograd bookkeeping (version counters, views' metadata) on any of
  // the tensors a step makes.
  const c10::InferenceMode inference;
  KvCache cache(model.config, 1, steps, model.device(), model.dtype());
  Sampler sampler(options.sampler);
  const auto token_options = torch::TensorOptions().dtype(torch::kInt64);
  torch::Tensor input = torch::tensor(prompt, token_options).unsqueeze(0).to(model.device());
  for (std::int64_t i = 0; i < new_tokens; ++i) {
    const torch::Tensor logits = forward(model, input, {}, &cache, {/*last_position_only=*/true});
    const std::int64_t next = sampler.sample(logits[0][0]);
    if (std::find(options.stop_tokens.begin(), options.stop_tokens.end(), next) !=
        options.stop_tokens.end()) {
      break;
    }
    generated.push_back(next);
    if (on_token) on_token(next);
    input = torch::full({1, 1}, next, token_options).to(model.device());
  }
  return generated;
}

}  // namespace claw::model
