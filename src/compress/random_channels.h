// Random channel selection: a uniform, seeded subset of each layer's FFN channels, the
// "random" sparsity technique of the PruneNet code and one reading of the compression-law
// paper's "random-PruneNet".
#pragma once

#include <cstdint>

#include "compress/method.h"

namespace claw::compress {

class RandomChannels final : public ChannelPruning {
 public:
  explicit RandomChannels(std::uint64_t seed) : seed_(seed) {}
  std::string name() const override { return "random"; }
  Json settings() const override { return {{"seed", seed_}}; }

 protected:
  std::vector<torch::Tensor> select(model::LayeredModel& model,
                                    const std::vector<std::int64_t>& keep, Json& details) override;

 private:
  std::uint64_t seed_;
};

// A uniformly random sorted subset of `keep` of the indices 0..width-1.
torch::Tensor random_subset(std::int64_t width, std::int64_t keep, at::Generator& generator);

}  // namespace claw::compress
