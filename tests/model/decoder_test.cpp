// The decoder against a plain-loop reference written here in double precision: one sequence at a
// time, no batching, no cache, no tensor library. A tiny random model exercises every feature at
// once: GQA, q/k/v biases, o_proj and MLP biases, an untied head, Llama 3.1 RoPE scaling,
// per-layer MLP widths and per-layer KV heads.
#include <gtest/gtest.h>
#include <torch/types.h>

#include <cmath>
#include <vector>

#include "core/error.h"
#include "model/decoder.h"
#include "model/kv_cache.h"
#include "model/presets.h"
#include "support/model_checks.h"

namespace claw::model {
namespace {

using Matrix = std::vector<std::vector<double>>;  // [out][in]
using Vector = std::vector<double>;

Matrix to_matrix(const torch::Tensor& t) {
  const torch::Tensor d = t.to(torch::kFloat64).contiguous();
  Matrix m(d.size(0), Vector(d.size(1)));
  for (std::int64_t i = 0; i < d.size(0); ++i) {
    for (std::int64_t j = 0; j < d.size(1); ++j) m[i][j] = d[i][j].item<double>();
  }
  return m;
}

Vector to_vector(const torch::Tensor& t) {
  const torch::Tensor d = t.to(torch::kFloat64).contiguous();
  return Vector(d.data_ptr<double>(), d.data_ptr<double>() + d.numel());
}

Vector matvec(const Matrix& w, const Vector& x, const torch::Tensor& bias = {}) {
  Vector y(w.size(), 0.0);
  for (std::size_t i = 0; i < w.size(); ++i) {
    for (std::size_t j = 0; j < x.size(); ++j) y[i] += w[i][j] * x[j];
  }
  if (bias.defined()) {
    const Vector b = to_vector(bias);
    for (std::size_t i = 0; i < y.size(); ++i) y[i] += b[i];
  }
  return y;
}

Vector rms_norm_ref(const Vector& x, const Vector& w, double eps) {
  double ms = 0;
  for (double v : x) ms += v * v;
  const double scale = 1 / std::sqrt(ms / x.size() + eps);
  Vector y(x.size());
  for (std::size_t i = 0; i < x.size(); ++i) y[i] = x[i] * scale * w[i];
  return y;
}

// Llama 3.1's rule, written from its description: wavelengths longer than
// original/low_freq_factor are divided by factor, shorter than original/high_freq_factor kept,
// and the band between interpolated linearly in original/wavelength.
double inverse_frequency(const ModelConfig& c, std::int64_t pair) {
  const double f = 1 / std::pow(c.rope_theta, 2.0 * pair / c.head_dim);
  const RopeScaling& s = *c.rope_scaling;
  const double wavelength = 2 * M_PI / f;
  const double original = s.original_max_position_embeddings;
  if (wavelength < original / s.high_freq_factor) return f;
  if (wavelength > original / s.low_freq_factor) return f / s.factor;
  const double smooth =
      (original / wavelength - s.low_freq_factor) / (s.high_freq_factor - s.low_freq_factor);
  return (1 - smooth) * f / s.factor + smooth * f;
}

// Rotates one head in place (HF rotate-half pairing: i with i + head_dim/2).
void rope_ref(const ModelConfig& c, double* head, std::int64_t position) {
  const std::int64_t half = c.head_dim / 2;
  for (std::int64_t i = 0; i < half; ++i) {
    const double angle = position * inverse_frequency(c, i);
    const double a = head[i], b = head[i + half];
    head[i] = a * std::cos(angle) - b * std::sin(angle);
    head[i + half] = b * std::cos(angle) + a * std::sin(angle);
  }
}

// Logits [T][vocab] of one unpadded sequence.
Matrix reference_logits(const Model& model, const std::vector<std::int64_t>& tokens) {
  const ModelConfig& c = model.config;
  const Matrix embed = to_matrix(model.embed);
  const std::size_t T = tokens.size();
  std::vector<Vector> h(T);
  for (std::size_t t = 0; t < T; ++t) h[t] = embed[tokens[t]];
  const std::int64_t group = c.num_heads / c.num_kv_heads;
  for (std::size_t l = 0; l < model.layers.size(); ++l) {
    const DecoderLayer& layer = model.layers[l];
    const std::int64_t kv_heads = c.kv_heads[l], heads = kv_heads * group;
    const Matrix wq = to_matrix(layer.q.weight), wk = to_matrix(layer.k.weight),
                 wv = to_matrix(layer.v.weight), wo = to_matrix(layer.o.weight);
    std::vector<Vector> q(T), k(T), v(T);
    for (std::size_t t = 0; t < T; ++t) {
      const Vector x = rms_norm_ref(h[t], to_vector(layer.attn_norm), c.rms_norm_eps);
      q[t] = matvec(wq, x, layer.q.bias);
      k[t] = matvec(wk, x, layer.k.bias);
      v[t] = matvec(wv, x, layer.v.bias);
      for (std::int64_t hd = 0; hd < heads; ++hd) rope_ref(c, &q[t][hd * c.head_dim], t);
      for (std::int64_t hd = 0; hd < kv_heads; ++hd) rope_ref(c, &k[t][hd * c.head_dim], t);
    }
    for (std::size_t t = 0; t < T; ++t) {
      Vector attended(heads * c.head_dim, 0.0);
      for (std::int64_t hd = 0; hd < heads; ++hd) {
        const std::int64_t kv = hd / group;
        std::vector<double> scores(t + 1);
        double max_score = -1e300;
        for (std::size_t s = 0; s <= t; ++s) {
          double dot = 0;
          for (std::int64_t i = 0; i < c.head_dim; ++i) {
            dot += q[t][hd * c.head_dim + i] * k[s][kv * c.head_dim + i];
          }
          scores[s] = dot / std::sqrt(static_cast<double>(c.head_dim));
          max_score = std::max(max_score, scores[s]);
        }
        double total = 0;
        for (double& s : scores) total += (s = std::exp(s - max_score));
        for (std::size_t s = 0; s <= t; ++s) {
          for (std::int64_t i = 0; i < c.head_dim; ++i) {
            attended[hd * c.head_dim + i] += scores[s] / total * v[s][kv * c.head_dim + i];
          }
        }
      }
      const Vector o = matvec(wo, attended, layer.o.bias);
      for (std::size_t i = 0; i < o.size(); ++i) h[t][i] += o[i];
    }
    const Matrix wg = to_matrix(layer.gate.weight), wu = to_matrix(layer.up.weight),
                 wd = to_matrix(layer.down.weight);
    for (std::size_t t = 0; t < T; ++t) {
      const Vector y = rms_norm_ref(h[t], to_vector(layer.mlp_norm), c.rms_norm_eps);
      Vector gate = matvec(wg, y, layer.gate.bias), up = matvec(wu, y, layer.up.bias);
      for (std::size_t i = 0; i < gate.size(); ++i)
        gate[i] = gate[i] / (1 + std::exp(-gate[i])) * up[i];
      const Vector down = matvec(wd, gate, layer.down.bias);
      for (std::size_t i = 0; i < down.size(); ++i) h[t][i] += down[i];
    }
  }
  const Matrix head = to_matrix(model.head());
  Matrix logits(T);
  for (std::size_t t = 0; t < T; ++t) {
    logits[t] = matvec(head, rms_norm_ref(h[t], to_vector(model.final_norm), c.rms_norm_eps));
  }
  return logits;
}

// Largest |actual - expected| over one position's logits; also checks they are not trivially
// small, which would make the comparison meaningless.
double max_error(const torch::Tensor& actual, const Vector& expected) {
  const Vector got = to_vector(actual);
  double worst = 0, scale = 0;
  for (std::size_t i = 0; i < got.size(); ++i) {
    worst = std::max(worst, std::abs(got[i] - expected[i]));
    scale = std::max(scale, std::abs(expected[i]));
  }
  EXPECT_GT(scale, 0.5) << "logits too small for a meaningful comparison";
  return worst;
}

constexpr double kTolerance = 1e-4;

const std::vector<std::vector<std::int64_t>> kSequences = {
    {5, 17, 33, 2, 60, 41, 9, 12, 50},
    {3, 8, 44, 21},
    {63},
};

TEST(Decoder, PaddedBatchedPrefillMatchesReference) {
  const Model model = testing::every_feature_model();
  // The second layer has 2 query heads over 1 KV head of 8.
  ASSERT_EQ(model.layers[1].q.weight.size(0), 16);
  ASSERT_EQ(model.layers[1].k.weight.size(0), 8);
  ASSERT_EQ(model.layers[1].o.weight.size(1), 16);
  torch::NoGradGuard no_grad;
  const std::int64_t width = 9;
  for (const bool left_padding : {true, false}) {
    torch::Tensor tokens = torch::zeros({3, width}, torch::kInt64);
    torch::Tensor valid = torch::zeros({3, width}, torch::kBool);
    for (std::int64_t b = 0; b < 3; ++b) {
      const auto& seq = kSequences[b];
      const std::int64_t offset = left_padding ? width - static_cast<std::int64_t>(seq.size()) : 0;
      for (std::size_t t = 0; t < seq.size(); ++t) {
        tokens[b][offset + t] = seq[t];
        valid[b][offset + t] = true;
      }
    }
    const torch::Tensor logits = forward(model, tokens, valid);
    for (std::int64_t b = 0; b < 3; ++b) {
      const auto& seq = kSequences[b];
      const Matrix expected = reference_logits(model, seq);
      const std::int64_t offset = left_padding ? width - static_cast<std::int64_t>(seq.size()) : 0;
      for (std::size_t t = 0; t < seq.size(); ++t) {
        EXPECT_LT(max_error(logits[b][offset + t], expected[t]), kTolerance)
            << (left_padding ? "left" : "right") << " padding, sequence " << b << ", position "
            << t;
      }
    }
  }
}

TEST(Decoder, KvCacheDecodeMatchesReference) {
  const Model model = testing::every_feature_model();
  torch::NoGradGuard no_grad;
  const auto& seq = kSequences[0];
  const Matrix expected = reference_logits(model, seq);
  KvCache cache(model.config, 1, 16, torch::kCPU, torch::kFloat32);
  // A prompt of three, a chunk of two, then single steps.
  std::size_t done = 0;
  for (const std::size_t chunk : {3, 2, 1, 1, 1, 1}) {
    const torch::Tensor input =
        torch::tensor(std::vector<std::int64_t>(seq.begin() + done, seq.begin() + done + chunk))
            .unsqueeze(0);
    const torch::Tensor logits = forward(model, input, {}, &cache);
    for (std::size_t t = 0; t < chunk; ++t) {
      EXPECT_LT(max_error(logits[0][t], expected[done + t]), kTolerance) << "position " << done + t;
    }
    done += chunk;
  }
  EXPECT_EQ(cache.length(), static_cast<std::int64_t>(seq.size()));
}

TEST(Decoder, BatchedDecodeFromLeftPaddedPromptsMatchesReference) {
  const Model model = testing::every_feature_model();
  torch::NoGradGuard no_grad;
  // Prompts of different lengths, left-padded to one width, then two shared decode steps.
  const std::vector<std::vector<std::int64_t>> prompts = {{5, 17, 33, 2}, {3, 8}};
  const std::vector<std::int64_t> next_tokens[2] = {{60, 41}, {44, 21}};
  torch::Tensor tokens = torch::zeros({2, 4}, torch::kInt64);
  torch::Tensor valid = torch::zeros({2, 4}, torch::kBool);
  for (std::int64_t b = 0; b < 2; ++b) {
    const std::int64_t offset = 4 - static_cast<std::int64_t>(prompts[b].size());
    for (std::size_t t = 0; t < prompts[b].size(); ++t) {
      tokens[b][offset + t] = prompts[b][t];
      valid[b][offset + t] = true;
    }
  }
  KvCache cache(model.config, 2, 8, torch::kCPU, torch::kFloat32);
  forward(model, tokens, valid, &cache);
  for (std::size_t step = 0; step < 2; ++step) {
    const torch::Tensor input =
        torch::tensor({next_tokens[0][step], next_tokens[1][step]}).unsqueeze(1);
    const torch::Tensor logits = forward(model, input, {}, &cache, {/*last_position_only=*/true});
    for (std::int64_t b = 0; b < 2; ++b) {
      std::vector<std::int64_t> full = prompts[b];
      full.insert(full.end(), next_tokens[b].begin(), next_tokens[b].begin() + step + 1);
      const Matrix expected = reference_logits(model, full);
      EXPECT_LT(max_error(logits[b][0], expected.back()), kTolerance)
          << "sequence " << b << ", step " << step;
    }
  }
}

TEST(Decoder, RefusesPositionsPastTheContext) {
  const Model model = testing::every_feature_model();
  torch::NoGradGuard no_grad;
  const torch::Tensor tokens =
      torch::zeros({1, model.config.max_position_embeddings + 1}, torch::kInt64);
  EXPECT_THROW(forward(model, tokens), Error);
}

// Passes over a streamed model take consecutive batches while their states fit: each token's
// residual stream, plus a masked batch's float32 [B, T, T] attention bias.
TEST(Decoder, PassesCarryTheBatchesWhoseStatesFit) {
  const Model model = testing::every_feature_model();
  const std::int64_t per_token = model.embed.size(1) * model.embed.element_size();
  const TokenBatch plain{torch::zeros({2, 4}, torch::kInt64), {}, {}};
  const TokenBatch masked{
      torch::zeros({1, 4}, torch::kInt64), torch::ones({1, 4}, torch::kBool), {}};
  const std::int64_t plain_bytes = 8 * per_token, masked_bytes = 4 * per_token + 4 * 4 * 4;
  const std::vector<TokenBatch> batches = {plain, plain, masked, plain};
  EXPECT_EQ(plan_passes(model, batches, 1 << 30), (std::vector<std::size_t>{0}));
  EXPECT_EQ(plan_passes(model, batches, 1), (std::vector<std::size_t>{0, 1, 2, 3}));
  EXPECT_EQ(plan_passes(model, batches, 2 * plain_bytes + masked_bytes - 1),
            (std::vector<std::size_t>{0, 2}));
  EXPECT_EQ(plan_passes(model, batches, plain_bytes + masked_bytes),
            (std::vector<std::size_t>{0, 1, 3}));
}

}  // namespace
}  // namespace claw::model
