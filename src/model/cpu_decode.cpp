#include "model/cpu_decode.h"

#include <ATen/Parallel.h>
#include <c10/core/GradMode.h>
#include <c10/util/BFloat16.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <type_traits>

#include "core/error.h"
#include "model/matvec.h"
#include "model/vector_math.h"

namespace claw::model {
namespace {

// The float32 value of a stored element, and a float32 value as the model's dtype stores it
// (round to nearest even, for bf16): with these the loops below are written once for both.
inline float widen(float value) {
  return value;
}
inline float widen(c10::BFloat16 value) {
  return static_cast<float>(value);
}
template <typename T>
inline float stored(float value) {
  return widen(static_cast<T>(value));
}

template <typename T>
void store(float* values, std::int64_t count) {
  if constexpr (!std::is_same_v<T, float>) {
    for (std::int64_t i = 0; i < count; ++i) values[i] = stored<T>(values[i]);
  }
}

template <typename T>
constexpr WeightDtype kWeightDtype =
    std::is_same_v<T, float> ? WeightDtype::kF32 : WeightDtype::kBf16;

const void* data_or_null(const torch::Tensor& t) {
  return t.defined() ? t.data_ptr() : nullptr;
}

MatrixRows rows_of(const Linear& linear) {
  return {linear.weight.data_ptr(), data_or_null(linear.bias), linear.weight.size(0)};
}

// Attention work (batch · KV heads · keys · head_dim) below which the heads run on one thread.
constexpr std::int64_t kThreadedAttention = std::int64_t{1} << 16;

// One decode step over the request's workspace, whose buffers hold [B, width] rows packed at
// the width of the moment; T is the model's dtype (float or c10::BFloat16).
template <typename T>
class DecodeStep {
 public:
  DecodeStep(const Model& model, KvCache& cache, std::int64_t batch)
      : model_(model), c_(model.config), cache_(cache), batch_(batch) {
    std::int64_t qkv = 0, q = 0, mlp = 0;
    for (std::int64_t l = 0; l < c_.num_layers; ++l) {
      qkv = std::max(qkv, c_.layer_q_dim(l) + 2 * c_.layer_kv_dim(l));
      q = std::max(q, c_.layer_q_dim(l));
      mlp = std::max(mlp, c_.intermediate_sizes[static_cast<std::size_t>(l)]);
    }
    const std::int64_t sizes[] = {c_.hidden_size,
                                  c_.hidden_size,
                                  c_.hidden_size,
                                  c_.hidden_size,
                                  qkv,
                                  q,
                                  2 * mlp,
                                  mlp,
                                  c_.num_heads * cache.capacity(),
                                  c_.vocab_size};
    std::int64_t total = 0;
    for (const std::int64_t size : sizes) total += batch * size;
    std::vector<float>& memory = cache.decode_workspace();
    if (static_cast<std::int64_t>(memory.size()) < total) {
      memory.resize(static_cast<std::size_t>(total));
    }
    float* next = memory.data();
    float** buffers[] = {&h_,     &next_,    &x_,   &out_,    &qkv_,
                         &heads_, &gate_up_, &act_, &scores_, &logits_};
    for (std::size_t i = 0; i < std::size(buffers); ++i) {
      *buffers[i] = next;
      next += batch * sizes[i];
    }
  }

  torch::Tensor run(const torch::Tensor& tokens) {
    embed(tokens.data_ptr<std::int64_t>());
    for (std::int64_t l = 0; l < c_.num_layers; ++l) {
      const DecoderLayer& layer = model_.layers[static_cast<std::size_t>(l)];
      if (c_.has_attention(l)) attention_block(l, layer);
      if (c_.has_mlp(l)) mlp_block(layer);
    }
    cache_.commit(1, {}, cache_.max_next_position());
    return logits();
  }

 private:
  static const T* data(const torch::Tensor& t) { return static_cast<const T*>(t.data_ptr()); }

  void embed(const std::int64_t* tokens) {
    width_ = model_.embed.size(1);
    for (std::int64_t b = 0; b < batch_; ++b) {
      CLAW_CHECK(tokens[b] >= 0 && tokens[b] < model_.embed.size(0), "token id ", tokens[b],
                 " is outside the vocabulary of ", model_.embed.size(0));
      const T* row = data(model_.embed) + tokens[b] * width_;
      for (std::int64_t i = 0; i < width_; ++i) h_[b * width_ + i] = widen(row[i]);
    }
  }

  // HF's RMSNorm of each row of h into x: normalised in float32 over the model's hidden size
  // (a sliced stream's too), then scaled in the model's dtype.
  void rms_norm(const torch::Tensor& weight) {
    const T* w = data(weight);
    const auto divisor = static_cast<double>(c_.hidden_size);
    for (std::int64_t b = 0; b < batch_; ++b) {
      const float* row = h_ + b * width_;
      double squares = 0;
      for (std::int64_t i = 0; i < width_; ++i) squares += double(row[i]) * row[i];
      const float inverse = 1.0f / std::sqrt(static_cast<float>(squares / divisor) +
                                             static_cast<float>(c_.rms_norm_eps));
      float* out = x_ + b * width_;
      for (std::int64_t i = 0; i < width_; ++i) {
        out[i] = stored<T>(widen(w[i]) * stored<T>(row[i] * inverse));
      }
    }
  }

  // y [B, Σ rows] = the group applied to `in` [B, cols], as the model's dtype holds it.
  void project(std::initializer_list<MatrixRows> group, std::int64_t cols, const float* in,
               float* y) {
    matvec(kWeightDtype<T>, {group.begin(), group.size()}, cols, in, batch_, y);
    std::int64_t rows = 0;
    for (const MatrixRows& m : group) rows += m.rows;
    store<T>(y, batch_ * rows);
  }

  // h ← shortcut(h) + out, where out [B, out_width]; the shortcut is SliceGPT's map, or none.
  void add_residual(const torch::Tensor& shortcut, std::int64_t out_width) {
    const float* from = h_;
    if (shortcut.defined()) {
      project({{shortcut.data_ptr(), nullptr, out_width}}, width_, h_, next_);
      from = next_;
    }
    for (std::int64_t i = 0; i < batch_ * out_width; ++i) {
      next_[i] = stored<T>(from[i] + out_[i]);
    }
    std::swap(h_, next_);
    width_ = out_width;
  }

  void attention_block(std::int64_t l, const DecoderLayer& layer) {
    const std::int64_t q_dim = c_.layer_q_dim(l), kv_dim = c_.layer_kv_dim(l);
    const std::int64_t qkv_width = q_dim + 2 * kv_dim;
    rms_norm(layer.attn_norm);
    project({rows_of(layer.q), rows_of(layer.k), rows_of(layer.v)}, width_, x_, qkv_);
    const std::int64_t slot = cache_.length();
    CLAW_CHECK(slot < cache_.capacity(), "the KV cache holds ", cache_.capacity(), " positions; ",
               slot + 1, " were needed");
    const std::int64_t kv_heads = c_.layer_kv_heads(l), hd = c_.head_dim;
    T* keys = static_cast<T*>(cache_.layer_keys(l).data_ptr());
    T* values = static_cast<T*>(cache_.layer_values(l).data_ptr());
    for (std::int64_t b = 0; b < batch_; ++b) {
      float* row = qkv_ + b * qkv_width;
      const std::int64_t position =
          cache_.all_real() ? slot : cache_.next_position().data_ptr<std::int64_t>()[b];
      rotate(row, c_.layer_heads(l), position);
      rotate(row + q_dim, kv_heads, position);
      for (std::int64_t head = 0; head < kv_heads; ++head) {
        const std::int64_t at = ((b * kv_heads + head) * cache_.capacity() + slot) * hd;
        for (std::int64_t i = 0; i < hd; ++i) {
          keys[at + i] = static_cast<T>(row[q_dim + head * hd + i]);
          values[at + i] = static_cast<T>(row[q_dim + kv_dim + head * hd + i]);
        }
      }
    }
    attend(l, qkv_width, keys, values);
    project({rows_of(layer.o)}, q_dim, heads_, out_);
    add_residual(layer.attn_shortcut, layer.o.weight.size(0));
  }

  // RoPE on `heads` heads of `row` at `position`, from the cache's table: x·cos +
  // swap_halves(x)·signed_sin, as model/rope.h applies it.
  void rotate(float* row, std::int64_t heads, std::int64_t position) {
    const std::int64_t hd = c_.head_dim, half = hd / 2;
    const T* cos = data(cache_.rope_table().cos) + position * hd;
    const T* sin = data(cache_.rope_table().signed_sin) + position * hd;
    for (std::int64_t head = 0; head < heads; ++head) {
      float* x = row + head * hd;
      for (std::int64_t i = 0; i < half; ++i) {
        const float low = x[i], high = x[i + half];
        x[i] = stored<T>(low * widen(cos[i]) + high * widen(sin[i]));
        x[i + half] = stored<T>(high * widen(cos[i + half]) + low * widen(sin[i + half]));
      }
    }
  }

  // Each query head over its KV head's cached keys and the new one: softmax(q·k/√d + mask)·v,
  // in float32, into heads_ [B, q_dim]. The query heads that share a KV head are one matvec()
  // over its keys, so each key is read once per step.
  void attend(std::int64_t l, std::int64_t qkv_width, const T* keys, const T* values) {
    const std::int64_t kv_heads = c_.layer_kv_heads(l), group = c_.group_size();
    const std::int64_t hd = c_.head_dim, seen = cache_.length() + 1;
    const std::int64_t capacity = cache_.capacity(), q_dim = c_.layer_q_dim(l);
    const float scale = static_cast<float>(1 / std::sqrt(static_cast<double>(hd)));
    const float* mask = cache_.all_real() ? nullptr : cache_.key_bias().data_ptr<float>();
    const auto run = [&](std::int64_t begin, std::int64_t end) {
      for (std::int64_t task = begin; task < end; ++task) {
        const std::int64_t b = task / kv_heads, kv = task % kv_heads;
        const std::int64_t first = (b * kv_heads + kv) * capacity * hd;
        // [group, seen] scores of the group's query heads, which sit side by side in q.
        float* scores = scores_ + task * group * capacity;
        const MatrixRows key_rows{keys + first, nullptr, seen};
        const float* q = qkv_ + b * qkv_width + kv * group * hd;
        for (std::int64_t g = 0; g < group; g += kMaxMatvecBatch) {
          matvec(kWeightDtype<T>, {&key_rows, 1}, hd, q + g * hd,
                 std::min(kMaxMatvecBatch, group - g), scores + g * seen);
        }
        for (std::int64_t g = 0; g < group; ++g) {
          float* p = scores + g * seen;
          float largest = -std::numeric_limits<float>::infinity();
          for (std::int64_t s = 0; s < seen; ++s) {
            // The new slot's own mask entry is 0: a query always sees itself.
            p[s] = p[s] * scale + (mask && s + 1 < seen ? mask[b * capacity + s] : 0.0f);
            largest = std::max(largest, p[s]);
          }
          float total = 0;
          for (std::int64_t s = 0; s < seen; ++s) p[s] -= largest;
          exp_in_place(p, seen);
          for (std::int64_t s = 0; s < seen; ++s) total += p[s];
          float* out = heads_ + b * q_dim + (kv * group + g) * hd;
          std::fill(out, out + hd, 0.0f);
          const float inverse_total = 1.0f / total;
          for (std::int64_t s = 0; s < seen; ++s) {
            const float weight = p[s] * inverse_total;
            const T* v = values + first + s * hd;
            for (std::int64_t i = 0; i < hd; ++i) out[i] += weight * widen(v[i]);
          }
          store<T>(out, hd);
        }
      }
    };
    const std::int64_t tasks = batch_ * kv_heads;
    if (tasks * group * seen * hd < kThreadedAttention) {
      run(0, tasks);
    } else {
      at::parallel_for(0, tasks, 1, run);
    }
  }

  void mlp_block(const DecoderLayer& layer) {
    const std::int64_t inner = layer.gate.weight.size(0);
    rms_norm(layer.mlp_norm);
    project({rows_of(layer.gate), rows_of(layer.up)}, width_, x_, gate_up_);
    for (std::int64_t b = 0; b < batch_; ++b) {
      const float* gate = gate_up_ + b * 2 * inner;
      const float* up = gate + inner;
      float* act = act_ + b * inner;
      for (std::int64_t i = 0; i < inner; ++i) act[i] = -gate[i];
      exp_in_place(act, inner);
      for (std::int64_t i = 0; i < inner; ++i) {
        const float silu = stored<T>(gate[i] / (1.0f + act[i]));
        act[i] = stored<T>(silu * up[i]);
      }
    }
    project({rows_of(layer.down)}, inner, act_, out_);
    add_residual(layer.mlp_shortcut, layer.down.weight.size(0));
  }

  torch::Tensor logits() {
    rms_norm(model_.final_norm);
    const torch::Tensor& head = model_.head();
    const std::int64_t vocab = head.size(0);
    torch::Tensor out = torch::empty({batch_, 1, vocab}, model_.embed.options());
    constexpr bool kF32 = std::is_same_v<T, float>;
    float* y = kF32 ? static_cast<float*>(out.data_ptr()) : logits_;
    const MatrixRows rows{head.data_ptr(), nullptr, vocab};
    matvec(kWeightDtype<T>, {&rows, 1}, width_, x_, batch_, y);
    if constexpr (!kF32) {
      T* typed = static_cast<T*>(out.data_ptr());
      for (std::int64_t i = 0; i < batch_ * vocab; ++i) typed[i] = static_cast<T>(y[i]);
    }
    return out;
  }

  const Model& model_;
  const ModelConfig& c_;
  KvCache& cache_;
  std::int64_t batch_;
  std::int64_t width_ = 0;  // the residual stream's width at this point of the model
  float *h_, *next_, *x_, *out_, *qkv_, *heads_, *gate_up_, *act_, *scores_, *logits_;
};

// Whether `t` is undefined or a contiguous tensor of `dtype`.
bool readable(const torch::Tensor& t, torch::ScalarType dtype) {
  return !t.defined() || (t.is_contiguous() && t.scalar_type() == dtype && t.device().is_cpu());
}

}  // namespace

bool cpu_decode_applies(const Model& model, const torch::Tensor& tokens, const torch::Tensor& valid,
                        const KvCache* cache) {
  if (cache == nullptr || valid.defined() || c10::GradMode::is_enabled()) return false;
  if (tokens.dim() != 2 || tokens.size(1) != 1 || tokens.size(0) > kMaxMatvecBatch ||
      !readable(tokens, torch::kInt64)) {
    return false;
  }
  const torch::ScalarType dtype = model.dtype();
  if (dtype != torch::kFloat32 && dtype != torch::kBFloat16) return false;
  if (!readable(model.embed, dtype) || !readable(model.final_norm, dtype) ||
      !readable(model.lm_head, dtype) || !readable(cache->rope_table().cos, dtype) ||
      !readable(cache->rope_table().signed_sin, dtype)) {
    return false;
  }
  for (std::size_t l = 0; l < model.layers.size(); ++l) {
    const DecoderLayer& layer = model.layers[l];
    if (!readable(cache->layer_keys(static_cast<std::int64_t>(l)), dtype) ||
        !readable(cache->layer_values(static_cast<std::int64_t>(l)), dtype)) {
      return false;
    }
    for (const torch::Tensor* t :
         {&layer.attn_norm, &layer.mlp_norm, &layer.attn_shortcut, &layer.mlp_shortcut}) {
      if (!readable(*t, dtype)) return false;
    }
    for (const Linear* linear :
         {&layer.q, &layer.k, &layer.v, &layer.o, &layer.gate, &layer.up, &layer.down}) {
      if (linear->lora || !readable(linear->weight, dtype) || !readable(linear->bias, dtype)) {
        return false;
      }
    }
  }
  return true;
}

torch::Tensor cpu_decode_step(const Model& model, const torch::Tensor& tokens, KvCache& cache) {
  if (model.dtype() == torch::kBFloat16) {
    return DecodeStep<c10::BFloat16>(model, cache, tokens.size(0)).run(tokens);
  }
  return DecodeStep<float>(model, cache, tokens.size(0)).run(tokens);
}

}  // namespace claw::model
