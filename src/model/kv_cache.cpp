#include "model/kv_cache.h"

#include "core/error.h"

namespace claw::model {

KvCache::KvCache(const ModelConfig& config, std::int64_t batch, std::int64_t capacity,
                 torch::Device device, torch::ScalarType dtype)
    : batch_(batch), capacity_(capacity) {
  const auto options = torch::TensorOptions().device(device).dtype(dtype);
  for (std::int64_t i = 0; i < config.num_layers; ++i) {
    keys_.push_back(torch::empty({batch, config.num_kv_heads, capacity, config.head_dim}, options));
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

KvCache KvCache::select_rows(const torch::Tensor& rows, std::int64_t capacity) const {
  CLAW_CHECK(capacity >= length_, "a KV cache of ", length_, " positions does not fit in ",
             capacity);
  KvCache selected = *this;
  selected.batch_ = rows.size(0);
  selected.capacity_ = capacity;
  // Only the first length_ slots are copied: later ones are written by append() and commit()
  // before anything reads them.
  const auto grown = [&](const torch::Tensor& t, std::int64_t time_dim) {
    std::vector<std::int64_t> sizes = t.sizes().vec();
    sizes[0] = selected.batch_;
    sizes[time_dim] = capacity;
    torch::Tensor out = torch::empty(sizes, t.options());
    out.narrow(time_dim, 0, length_).copy_(t.narrow(time_dim, 0, length_).index_select(0, rows));
    return out;
  };
  for (std::size_t i = 0; i < keys_.size(); ++i) {
    selected.keys_[i] = grown(keys_[i], 2);
    selected.values_[i] = grown(values_[i], 2);
  }
  selected.valid_ = grown(valid_, 1);
  selected.next_position_ = next_position_.index_select(0, rows);
  return selected;
}

void KvCache::commit(const torch::Tensor& valid) {
  const std::int64_t steps = valid.size(1);
  valid_.narrow(1, length_, steps).copy_(valid);
  next_position_ += valid.sum(1);
  length_ += steps;
}

}  // namespace claw::model
