#include "model/memory_needs.h"

#include <algorithm>
#include <vector>

#include "model/layout.h"

namespace claw::model {

MemoryNeeds memory_needs(const ModelConfig& config, torch::ScalarType dtype) {
  const auto bytes = static_cast<std::int64_t>(c10::elementSize(dtype));
  std::int64_t outside_layers = 0;
  std::vector<std::int64_t> layers(static_cast<std::size_t>(config.num_layers), 0);
  MemoryNeeds needs;
  for (const TensorSpec& spec : tensor_layout(config)) {
    needs.whole += spec.numel() * bytes;
    if (spec.layer >= 0) {
      layers[static_cast<std::size_t>(spec.layer)] += spec.numel() * bytes;
    } else {
      outside_layers += spec.numel() * bytes;
    }
  }
  const std::int64_t tied_head =
      config.tie_word_embeddings ? config.vocab_size * config.hidden_size * bytes : 0;
  const std::int64_t largest_layer =
      layers.empty() ? 0 : *std::max_element(layers.begin(), layers.end());
  needs.layer_by_layer = outside_layers + tied_head + 2 * largest_layer;
  return needs;
}

}  // namespace claw::model
