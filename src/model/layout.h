// Which tensors a model of a given config has: names as HF stores them, shapes, and the
// parameter group each one counts towards. The single source of truth for loading, saving,
// initialising and counting.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "model/config.h"

namespace claw::model {

enum class ParamGroup { kEmbedding, kAttention, kMlp, kNorm, kHead, kShortcut };
const char* param_group_name(ParamGroup group);

enum class TensorRole {
  kEmbed,
  kFinalNorm,
  kLmHead,
  kAttnNorm,
  kMlpNorm,
  kQWeight,
  kQBias,
  kKWeight,
  kKBias,
  kVWeight,
  kVBias,
  kOWeight,
  kOBias,
  kGateWeight,
  kGateBias,
  kUpWeight,
  kUpBias,
  kDownWeight,
  kDownBias,
  kAttnShortcut,
  kMlpShortcut,
};

struct TensorSpec {
  std::string name;
  std::vector<std::int64_t> shape;
  ParamGroup group;
  TensorRole role;
  std::int64_t layer;  // -1 for tensors outside the decoder layers
  std::int64_t numel() const;
};

// In HF order: embedding, then each layer, then the final norm and an untied head.
std::vector<TensorSpec> tensor_layout(const ModelConfig& config);

struct ParameterCounts {
  std::int64_t embedding = 0;
  std::int64_t attention = 0;
  std::int64_t mlp = 0;
  std::int64_t norm = 0;
  std::int64_t head = 0;      // zero when tied to the embedding
  std::int64_t shortcut = 0;  // SliceGPT's shortcut matrices
  std::int64_t total() const { return embedding + attention + mlp + norm + head + shortcut; }
  // Everything but the token embedding and an untied head: the part compression acts on.
  std::int64_t without_embeddings() const { return attention + mlp + norm + shortcut; }
};

ParameterCounts count_parameters(const ModelConfig& config);

}  // namespace claw::model
