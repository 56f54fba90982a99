#include "compress/random_channels.h"

#include <ATen/CPUGeneratorImpl.h>

#include "compress/method_registry.h"

namespace claw::compress {

torch::Tensor random_subset(std::int64_t width, std::int64_t keep, at::Generator& generator) {
  return std::get<0>(at::randperm(width, generator, torch::kLong).narrow(0, 0, keep).sort());
}

std::vector<torch::Tensor> RandomChannels::select(model::LayeredModel& model,
                                                  const std::vector<std::int64_t>& keep,
                                                  Json& /*details*/) {
  at::Generator generator = at::detail::createCPUGenerator(seed_);
  std::vector<torch::Tensor> kept;
  for (std::size_t l = 0; l < keep.size(); ++l) {
    kept.push_back(random_subset(model.config().intermediate_sizes[l], keep[l], generator));
  }
  return kept;
}

MethodInfo random_method() {
  return {.name = "random",
          .family = MethodFamily::kCalibrationFree,
          .summary = "a uniform, seeded subset of each layer's FFN channels",
          .ratio_meaning = kChannelRatioMeaning,
          .options = {},
          .make = [](const Json&, const CompressionContext& context,
                     const model::ModelConfig&) -> std::unique_ptr<CompressionMethod> {
            return std::make_unique<RandomChannels>(context.seed);
          },
          .removed_fraction = channel_pruned_fraction,
          .runs_in_llama_cpp = true};
}

}  // namespace claw::compress
