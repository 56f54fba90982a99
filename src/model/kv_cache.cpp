#include "model/kv_cache.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <limits>

#include "core/error.h"

namespace claw::model {

KvCache::KvCache(const ModelConfig& config, std::int64_t batch, std::int64_t capacity,
                 torch::Device device, torch::ScalarType dtype)
    : batch_(batch), capacity_(capacity) {
  const auto options = torch::TensorOptions().device(device).dtype(dtype);
  for (std::int64_t i = 0; i < config.num_layers; ++i) {
    keys_.push_back(
        torch::empty({batch, config.layer_kv_heads(i), capacity, config.head_dim}, options));
    values_.push_back(torch::empty_like(keys_.back()));
  }
  valid_ = torch::zeros({batch, capacity}, options.dtype(torch::kBool));
  key_bias_ = torch::zeros({batch, capacity}, options.dtype(torch::kFloat32));
  next_position_ = torch::zeros({batch}, options.dtype(torch::kInt64));
  // A position never exceeds its slot: it counts the real tokens before it.
  const torch::Tensor slots = torch::arange(capacity, options.dtype(torch::kInt64)).unsqueeze(0);
  rope_ = model::rope_angles(rope_inverse_frequencies(config), slots, dtype);
}

RopeAngles KvCache::rope_angles(std::int64_t first, std::int64_t count) const {
  return {rope_.cos.narrow(2, first, count), rope_.signed_sin.narrow(2, first, count)};
}

RopeAngles KvCache::rope_angles(const torch::Tensor& positions) const {
  const torch::Tensor flat = positions.reshape({-1});
  auto gather = [&](const torch::Tensor& table) {
    const std::int64_t dim = table.size(-1);
    return table.view({capacity_, dim})
        .index_select(0, flat)
        .view({positions.size(0), 1, positions.size(1), dim});
  };
  return {gather(rope_.cos), gather(rope_.signed_sin)};
}

torch::Tensor KvCache::next_query_bias() const {
  CLAW_CHECK(length_ < capacity_, "the KV cache holds ", capacity_, " positions; ", length_ + 1,
             " were needed");
  return key_bias_.narrow(1, 0, length_ + 1).unsqueeze(1).unsqueeze(1).unsqueeze(1);
}

std::pair<torch::Tensor, torch::Tensor> KvCache::append(std::int64_t layer,
                                                        const torch::Tensor& keys,
                                                        const torch::Tensor& values) {
  const std::int64_t steps = keys.size(2);
  CLAW_CHECK(length_ + steps <= capacity_, "the KV cache holds ", capacity_, " positions; ",
             length_ + steps, " were needed");
  torch::Tensor& k = keys_[static_cast<std::size_t>(layer)];
  torch::Tensor& v = values_[static_cast<std::size_t>(layer)];
  k.narrow(2, length_, steps).copy_(keys);
  v.narrow(2, length_, steps).copy_(values);
  return {k.narrow(2, 0, length_ + steps), v.narrow(2, 0, length_ + steps)};
}

void KvCache::commit(std::int64_t steps, const torch::Tensor& real, std::int64_t max_position) {
  torch::Tensor slots = valid_.narrow(1, length_, steps);
  if (real.defined()) {
    slots.copy_(real);
    next_position_ += real.sum(1);
    key_bias_.narrow(1, length_, steps)
        .masked_fill_(real.logical_not(), -std::numeric_limits<float>::infinity());
    // Without the mask's contents on the host, any padding is assumed.
    all_real_ = false;
    max_next_position_ = std::max(max_next_position_, max_position + 1);
  } else {
    slots.fill_(true);
    next_position_.add_(steps);
    max_next_position_ += steps;
  }
  length_ += steps;
}

}  // namespace claw::model
