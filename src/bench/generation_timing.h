// The timing of one generation request as a server runs it: prefill the prompt, then decode
// token by token with a KV cache.
#pragma once

#include <torch/types.h>

#include <cstdint>

#include "bench/memory_meter.h"
#include "model/model.h"

namespace claw::bench {

struct GenerationTiming {
  double first_token_seconds;  // the prefill and the choice of the first new token
  double decode_seconds;       // the `decode` single-token steps after it
  // Tensor memory the request needed beyond what was allocated before it: the KV cache and the
  // activations at their peak.
  std::int64_t working_bytes;
};

// `prompt` [batch, prompt length] int64 on the model's device. Greedy tokens are chosen and
// copied to the host after every step, as a server streams them; that copy also waits for the
// device, so the clock sees work that was queued, not just launched.
GenerationTiming time_generation(const model::Model& model, const torch::Tensor& prompt,
                                 std::int64_t decode, TensorMemoryMeter& memory);

}  // namespace claw::bench
