// Choosing the next token from logits.
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <random>

namespace claw::model {

struct SamplerOptions {
  double temperature = 1.0;  // 0 picks the most likely token
  double top_p = 1.0;        // nucleus: sample among the smallest set holding this much mass
  std::uint64_t seed = 0;
};

class Sampler {
 public:
  explicit Sampler(const SamplerOptions& options);

  // logits: [vocab] of any float dtype, on any device.
  std::int64_t sample(const torch::Tensor& logits);

 private:
  SamplerOptions options_;
  std::mt19937_64 rng_;
};

}  // namespace claw::model
