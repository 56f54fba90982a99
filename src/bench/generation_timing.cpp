#include "bench/generation_timing.h"

#include "core/stopwatch.h"
#include "model/decoder.h"
#include "model/kv_cache.h"

namespace claw::bench {

GenerationTiming time_generation(const model::Model& model, const torch::Tensor& prompt,
                                 std::int64_t decode, TensorMemoryMeter& memory) {
  const c10::InferenceMode inference;  // as model::generate() decodes
  model::ForwardOptions last_only;
  last_only.last_position_only = true;
  auto next_tokens = [&](const torch::Tensor& logits) {
    return logits.argmax(-1).to(torch::kCPU).to(model.device());
  };

  memory.mark();
  // A server holds its caches ready before a request comes, so making this one is not timed.
  model::KvCache cache(model.config, prompt.size(0), prompt.size(1) + decode, model.device(),
                       model.dtype());
  const Stopwatch prefill_clock;
  torch::Tensor tokens = next_tokens(model::forward(model, prompt, {}, &cache, last_only));
  const double first_token_seconds = prefill_clock.seconds();

  const Stopwatch decode_clock;
  for (std::int64_t step = 0; step < decode; ++step) {
    tokens = next_tokens(model::forward(model, tokens, {}, &cache, last_only));
  }
  return {first_token_seconds, decode_clock.seconds(), memory.peak_since_mark()};
}

}  // namespace claw::bench
