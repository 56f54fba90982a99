#include "model/kv_cache.h"

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
  next_position_ = torch::zeros({batch}, options.dtype(torch::kInt64));
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

void KvCache::commit(const torch::Tensor& valid) {
  const std::int64_t steps = valid.size(1);
  valid_.narrow(1, length_, steps).copy_(valid);
  next_position_ += valid.sum(1);
  length_ += steps;
}

}  // namespace claw::model
