// Keys and values of the positions already processed, so decoding a token costs one position.
//
// The cache also owns what every decode step would otherwise rebuild: the RoPE angles of every
// slot it can hold, the additive mask of its padding, and, on the host, the largest position it
// has given out. A step whose tokens are all real reads slices of these, so it makes no mask or
// RoPE table and never waits on the device to learn a position.
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <utility>
#include <vector>

#include "model/config.h"
#include "model/rope.h"

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
  // The largest of next_position(), kept on the host.
  std::int64_t max_next_position() const { return max_next_position_; }
  // True while every cached slot holds a real token: then every sequence's next position is
  // length(), and a single new query may attend to every cached key unmasked.
  bool all_real() const { return all_real_; }

  // The RoPE angles of positions first .. first + count - 1, the same for every sequence,
  // [1, 1, count, head_dim] (views of the cache's table).
  RopeAngles rope_angles(std::int64_t first, std::int64_t count) const;
  // The RoPE angles of per-sequence `positions` [B, T], [B, 1, T, head_dim].
  RopeAngles rope_angles(const torch::Tensor& positions) const;
  // The attention bias (model/attention.h) of one query that follows the cached keys: -inf at
  // the padding slots, 0 elsewhere and at the query's own slot, [B, 1, 1, 1, length() + 1].
  // A view of the cache's own mask.
  torch::Tensor next_query_bias() const;

  // Stores `layer`'s new keys and values [B, its kv_heads, T, head_dim] after the cached ones and
  // returns all of them, [B, kv_heads, length + T, head_dim]. The length moves on in commit().
  std::pair<torch::Tensor, torch::Tensor> append(std::int64_t layer, const torch::Tensor& keys,
                                                 const torch::Tensor& values);

  // Records that the `steps` positions just appended to every layer are done. `real` [B, steps]
  // marks the real ones (undefined: all of them), and `max_position` is the largest position
  // any of them took.
  void commit(std::int64_t steps, const torch::Tensor& real, std::int64_t max_position);

  // What the CPU decode step (model/cpu_decode.h) reads and writes in place, past the operators:
  // layer `layer`'s keys or values in every slot, [B, kv_heads, capacity, head_dim]; the
  // additive mask of the padding, [B, capacity] float32 (0 at real and unused slots, -inf at
  // padding); the RoPE table, whose slot s holds position s's angles.
  const torch::Tensor& layer_keys(std::int64_t layer) const {
    return keys_.at(static_cast<std::size_t>(layer));
  }
  const torch::Tensor& layer_values(std::int64_t layer) const {
    return values_.at(static_cast<std::size_t>(layer));
  }
  const torch::Tensor& key_bias() const { return key_bias_; }
  const RopeAngles& rope_table() const { return rope_; }
  // Host memory the CPU decode step reuses from step to step: sized at the request's first
  // step, so later steps allocate nothing.
  std::vector<float>& decode_workspace() { return decode_workspace_; }

 private:
  std::int64_t batch_, capacity_, length_ = 0;
  std::vector<torch::Tensor> keys_, values_;
  torch::Tensor valid_;
  torch::Tensor key_bias_;  // [B, capacity] float32: 0 at real (and unused) slots, -inf at padding
  torch::Tensor next_position_;
  std::int64_t max_next_position_ = 0;
  bool all_real_ = true;
  RopeAngles rope_;  // [1, 1, capacity, head_dim]: slot s holds position s's angles
  std::vector<float> decode_workspace_;
};

}  // namespace claw::model
