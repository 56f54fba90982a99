// Keys and values of the positions already processed, so decoding a token costs one position.
#pragma once

#include <torch/types.h>

#include <utility>
#include <vector>

#include "model/config.h"

namespace claw::model {

class KvCache {
 public:
  KvCache(const ModelConfig& config, std::int64_t batch, std::int64_t capacity,
          torch::Device device, torch::ScalarType dtype);

  std::int64_t batch() const { return batch_; }
  std::int64_t length() const { return length_; }
  std::int64_t capacity() const { return capacity_; }

  // [B, length] true where a cached slot holds a real (not padding) token.
  torch::Tensor valid() const { return valid_.narrow(1, 0, length_); }
  // [B] the RoPE position the next real token of each sequence takes.
  const torch::Tensor& next_position() const { return next_position_; }

  // Stores `layer`'s new keys and values [B, its kv_heads, T, head_dim] after the cached ones and
  // returns all of them, [B, kv_heads, length + T, head_dim]. The length moves on in commit().
  std::pair<torch::Tensor, torch::Tensor> append(std::int64_t layer, const torch::Tensor& keys,
                                                 const torch::Tensor& values);

  // Records that the T positions just appended to every layer are done; `valid` [B, T].
  void commit(const torch::Tensor& valid);

 private:
  std::int64_t batch_, capacity_, length_ = 0;
  std::vector<torch::Tensor> keys_, values_;
  torch::Tensor valid_;
  torch::Tensor next_position_;
};

}  // namespace claw::model
