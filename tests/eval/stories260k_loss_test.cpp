// The loss of stories260K on TinyStories documents against llama2.c's own forward pass: run.c's
// forward ported below in plain loops, reading the checkpoint's raw arrays (interleaved RoPE
// rows, float32, one token at a time with a KV cache). claw's loader permutes those rows and
// its decoder batches; both must give the same token ids the same loss.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "data/corpus.h"
#include "eval/intrinsic.h"
#include "io/llama2c.h"
#include "model/load.h"
#include "support/test_support.h"
#include "text/load_tokenizer.h"

namespace {

using claw::testing::data_path;

// run.c (karpathy/llama2.c) transformer forward, ported as written there.
class Llama2cForward {
 public:
  explicit Llama2cForward(const claw::io::Llama2cCheckpoint& checkpoint) : h_(checkpoint.header()) {
    for (const auto& [name, view] : checkpoint.tensors()) {
      std::vector<float>& values = weights_[name];
      values.resize(static_cast<std::size_t>(view.numel()));
      std::memcpy(values.data(), view.data, view.nbytes);
    }
    const int kv_dim = h_.dim * h_.n_kv_heads / h_.n_heads;
    key_cache_.assign(static_cast<std::size_t>(h_.n_layers) * h_.seq_len * kv_dim, 0);
    value_cache_ = key_cache_;
  }

  // The logits after `token` at position `pos`; positions must come in order from 0.
  std::vector<float> forward(int token, int pos) {
    const int dim = h_.dim, hidden = h_.hidden_dim, head_size = dim / h_.n_heads;
    const int kv_dim = dim * h_.n_kv_heads / h_.n_heads, kv_mul = h_.n_heads / h_.n_kv_heads;
    std::vector<float> x(w("token_embedding") + token * dim,
                         w("token_embedding") + (token + 1) * dim);
    std::vector<float> xb(dim), xb2(dim), q(dim), hb(hidden), hb2(hidden), att(h_.seq_len);
    for (int l = 0; l < h_.n_layers; ++l) {
      rmsnorm(xb.data(), x.data(), w("rms_att") + l * dim, dim);
      const std::size_t offset = static_cast<std::size_t>(l) * h_.seq_len * kv_dim;
      float* k = key_cache_.data() + offset + pos * kv_dim;
      float* v = value_cache_.data() + offset + pos * kv_dim;
      matmul(q.data(), xb.data(), w("wq") + l * dim * dim, dim, dim);
      matmul(k, xb.data(), w("wk") + l * dim * kv_dim, dim, kv_dim);
      matmul(v, xb.data(), w("wv") + l * dim * kv_dim, dim, kv_dim);
      for (int i = 0; i < dim; i += 2) {
        const int head_dim = i % head_size;
        const float freq = 1.0f / std::pow(10000.0f, head_dim / static_cast<float>(head_size));
        const float val = pos * freq, fcr = std::cos(val), fci = std::sin(val);
        for (float* vec : {q.data(), k}) {
          if (vec == k && i >= kv_dim) continue;
          const float v0 = vec[i], v1 = vec[i + 1];
          vec[i] = v0 * fcr - v1 * fci;
          vec[i + 1] = v0 * fci + v1 * fcr;
        }
      }
      for (int head = 0; head < h_.n_heads; ++head) {
        const float* qh = q.data() + head * head_size;
        for (int t = 0; t <= pos; ++t) {
          const float* kt = key_cache_.data() + offset + t * kv_dim + (head / kv_mul) * head_size;
          float score = 0;
          for (int i = 0; i < head_size; ++i) score += qh[i] * kt[i];
          att[t] = score / std::sqrt(static_cast<float>(head_size));
        }
        softmax(att.data(), pos + 1);
        float* out = xb.data() + head * head_size;
        std::fill(out, out + head_size, 0.0f);
        for (int t = 0; t <= pos; ++t) {
          const float* vt = value_cache_.data() + offset + t * kv_dim + (head / kv_mul) * head_size;
          for (int i = 0; i < head_size; ++i) out[i] += att[t] * vt[i];
        }
      }
      matmul(xb2.data(), xb.data(), w("wo") + l * dim * dim, dim, dim);
      for (int i = 0; i < dim; ++i) x[i] += xb2[i];
      rmsnorm(xb.data(), x.data(), w("rms_ffn") + l * dim, dim);
      matmul(hb.data(), xb.data(), w("w1") + l * dim * hidden, dim, hidden);
      matmul(hb2.data(), xb.data(), w("w3") + l * dim * hidden, dim, hidden);
      for (int i = 0; i < hidden; ++i) hb[i] = hb[i] / (1.0f + std::exp(-hb[i])) * hb2[i];
      matmul(xb.data(), hb.data(), w("w2") + l * dim * hidden, hidden, dim);
      for (int i = 0; i < dim; ++i) x[i] += xb[i];
    }
    rmsnorm(x.data(), x.data(), w("rms_final"), dim);
    std::vector<float> logits(h_.vocab_size);
    matmul(logits.data(), x.data(), w("token_embedding"), dim, h_.vocab_size);
    return logits;
  }

 private:
  const float* w(const char* name) const { return weights_.at(name).data(); }

  static void rmsnorm(float* o, const float* x, const float* weight, int size) {
    float ss = 0;
    for (int j = 0; j < size; ++j) ss += x[j] * x[j];
    ss = 1.0f / std::sqrt(ss / size + 1e-5f);
    for (int j = 0; j < size; ++j) o[j] = weight[j] * (ss * x[j]);
  }
  static void softmax(float* x, int size) {
    const float max = *std::max_element(x, x + size);
    float sum = 0;
    for (int i = 0; i < size; ++i) sum += x[i] = std::exp(x[i] - max);
    for (int i = 0; i < size; ++i) x[i] /= sum;
  }
  // W (d, n) @ x (n) -> xout (d)
  static void matmul(float* xout, const float* x, const float* w, int n, int d) {
    for (int i = 0; i < d; ++i) {
      float val = 0;
      for (int j = 0; j < n; ++j) val += w[i * n + j] * x[j];
      xout[i] = val;
    }
  }

  claw::io::Llama2cHeader h_;
  std::map<std::string, std::vector<float>> weights_;
  std::vector<float> key_cache_, value_cache_;
};

TEST(Stories260KLoss, DocumentsModeMatchesLlama2cForward) {
  constexpr std::size_t kStories = 40;
  const auto model_path = data_path("models/stories260K/stories260K.bin");
  claw::data::Corpus corpus = claw::data::load_corpus("tinystories:test");
  corpus.documents.resize(kStories);
  const auto tokenizer = claw::text::load_tokenizer(data_path("models/stories260K/tok512.bin"));

  // The reference: each story alone, BOS first, truncated at the context, every token after
  // BOS scored; nats summed in double.
  const claw::io::Llama2cCheckpoint checkpoint(model_path);
  double nll = 0;
  std::int64_t targets = 0;
  for (const std::string& story : corpus.documents) {
    std::vector<std::int32_t> ids = tokenizer->encode(story, {/*add_bos=*/true});
    ids.resize(std::min<std::size_t>(ids.size(), checkpoint.header().seq_len));
    Llama2cForward reference(checkpoint);
    for (std::size_t pos = 0; pos + 1 < ids.size(); ++pos) {
      const std::vector<float> logits = reference.forward(ids[pos], static_cast<int>(pos));
      double max = *std::max_element(logits.begin(), logits.end()), sum = 0;
      for (float logit : logits) sum += std::exp(logit - max);
      nll += max + std::log(sum) - logits[ids[pos + 1]];
      ++targets;
    }
  }

  const claw::model::Model model = claw::model::load_model(model_path);
  claw::eval::IntrinsicOptions options;
  options.progress = false;
  options.batch = 4;
  const claw::eval::IntrinsicResult result =
      claw::eval::evaluate_intrinsic(model, *tokenizer, corpus, options);
  EXPECT_EQ(result.mode, claw::eval::Mode::kDocuments);
  EXPECT_EQ(result.tokens_scored, targets);
  EXPECT_NEAR(result.loss, nll / targets, 1e-4 * nll / targets);
  EXPECT_NEAR(result.perplexity, std::exp(nll / targets), 1e-4 * std::exp(nll / targets));
}

}  // namespace
