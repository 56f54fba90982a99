// Autoregressive generation: one prefill of the prompt, then one cached step per token.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "model/model.h"
#include "model/sampler.h"

namespace claw::model {

struct GenerateOptions {
  // Forward passes, as llama2.c counts them: the prompt's tokens plus the generated ones, less
  // one (the last token is never fed back). Capped at the model context.
  std::int64_t steps = 256;
  SamplerOptions sampler;
  // Generation ends, without emitting it, at any of these.
  std::vector<std::int64_t> stop_tokens;
};

// Returns the generated tokens (prompt excluded); `on_token` sees each as soon as it is chosen.
std::vector<std::int64_t> generate(const Model& model, const std::vector<std::int64_t>& prompt,
                                   const GenerateOptions& options,
                                   const std::function<void(std::int64_t)>& on_token = {});

}  // namespace claw::model
