// What claw's commands hold of a model in memory: the whole model, or (compress, and eval of a
// model that does not fit) the embeddings, the head and a layer or two. Weights only; each
// command's working set (activations, calibration states, LoRA's optimizer) comes on top and
// depends on its options. docs/memory.md gives measured peaks beside these.
#pragma once

#include <torch/types.h>

#include <cstdint>

#include "model/config.h"

namespace claw::model {

struct MemoryNeeds {
  std::int64_t whole = 0;  // every weight
  // The embeddings, a head (untied, as SliceGPT makes it), the final norm, and the largest
  // layer twice: the one read and the one being written.
  std::int64_t layer_by_layer = 0;
};

MemoryNeeds memory_needs(const ModelConfig& config, torch::ScalarType dtype);

}  // namespace claw::model
