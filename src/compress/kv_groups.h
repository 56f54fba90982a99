// Structural edits of attention by whole KV groups: under grouped-query attention a KV head and
// the query heads that read it can only go together.
#pragma once

#include <torch/types.h>

#include <cstdint>

#include "model/model.h"

namespace claw::compress {

// The number of KV groups kept of `groups` at `ratio`: floor((1 − r)·groups), at least one (an
// error otherwise).
std::int64_t kept_group_count(std::int64_t groups, double ratio, std::int64_t layer);

// Keeps KV groups `kept` (increasing int64 indices) of layer `layer`: their rows of q, k and v
// (and biases) and their query heads' columns of o, so the layer computes what the whole layer
// computes with the other groups' heads silenced. Sets the layer's KV head count.
void keep_kv_groups(model::Model& model, std::int64_t layer, const torch::Tensor& kept);

}  // namespace claw::compress
