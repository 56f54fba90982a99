#include "compress/random_channels.h"

#include <ATen/CPUGeneratorImpl.h>

namespace claw::compress {

torch::Tensor random_subset(std::int64_t width, std::int64_t keep, at::Generator& generator) {
  return std::get<0>(at::randperm(width, generator, torch::kLong).narrow(0, 0, keep).sort());
}

std::vector<torch::Tensor> RandomChannels::select(const model::Model& model,
                                                  const std::vector<std::int64_t>& keep,
                                                  Json& /*details*/) {
  at::Generator generator = at::detail::createCPUGenerator(seed_);
  std::vector<torch::Tensor> kept;
  for (std::size_t l = 0; l < keep.size(); ++l) {
    kept.push_back(random_subset(model.config.intermediate_sizes[l], keep[l], generator));
  }
  return kept;
}

}  // namespace claw::compress
