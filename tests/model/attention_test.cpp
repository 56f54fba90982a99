// Blocked causal attention against a direct double-precision evaluation of
// softmax(q kᵀ / √d + mask) v, with a cached past, left padding and grouped query heads; and
// the mask and positions of packed continuations.
#include <gtest/gtest.h>
#include <torch/types.h>

#include <cmath>
#include <limits>
#include <vector>

#include "model/attention.h"

namespace claw::model {
namespace {

constexpr std::int64_t kBatch = 2, kHeads = 6, kKvHeads = 2, kDim = 8, kPast = 3, kSteps = 11;

struct Inputs {
  torch::Tensor q, k, v, key_valid;
};

Inputs random_inputs() {
  torch::manual_seed(3);
  const std::int64_t keys = kPast + kSteps;
  Inputs in{torch::randn({kBatch, kHeads, kSteps, kDim}) * 2,
            torch::randn({kBatch, kKvHeads, keys, kDim}) * 2,
            torch::randn({kBatch, kKvHeads, keys, kDim}),
            torch::ones({kBatch, keys}, torch::kBool)};
  // The second sequence is left-padded: its first four slots (three cached, one new) are empty.
  in.key_valid[1].narrow(0, 0, 4).fill_(false);
  return in;
}

// out[b][t][h][i], looping over exactly the keys each query may see.
double reference(const Inputs& in, std::int64_t b, std::int64_t t, std::int64_t h, std::int64_t i) {
  const auto q = in.q.to(torch::kFloat64), k = in.k.to(torch::kFloat64),
             v = in.v.to(torch::kFloat64);
  const std::int64_t kv = h / (kHeads / kKvHeads), slot = kPast + t;
  std::vector<double> weights;
  std::vector<std::int64_t> visible;
  double max_score = -std::numeric_limits<double>::infinity();
  for (std::int64_t s = 0; s <= slot; ++s) {
    if (!in.key_valid[b][s].item<bool>() && s != slot) continue;
    const double score = (q[b][h][t] * k[b][kv][s]).sum().item<double>() / std::sqrt(kDim);
    weights.push_back(score);
    visible.push_back(s);
    max_score = std::max(max_score, score);
  }
  double total = 0, out = 0;
  for (double& w : weights) total += (w = std::exp(w - max_score));
  for (std::size_t j = 0; j < visible.size(); ++j) {
    out += weights[j] / total * v[b][kv][visible[j]][i].item<double>();
  }
  return out;
}

TEST(Attention, EveryQueryBlockSizeMatchesDirectEvaluation) {
  const Inputs in = random_inputs();
  const torch::Tensor bias = attention_bias(in.key_valid, kPast, kSteps);
  torch::Tensor expected = torch::empty({kBatch, kSteps, kHeads, kDim}, torch::kFloat64);
  for (std::int64_t b = 0; b < kBatch; ++b) {
    for (std::int64_t t = 0; t < kSteps; ++t) {
      for (std::int64_t h = 0; h < kHeads; ++h) {
        for (std::int64_t i = 0; i < kDim; ++i) expected[b][t][h][i] = reference(in, b, t, h, i);
      }
    }
  }
  for (const std::int64_t block : {1, 3, 4, 11, 64, 0}) {
    const torch::Tensor out = attention(in.q, in.k, in.v, bias, block);
    ASSERT_EQ(out.sizes(), expected.sizes());
    const double error = (out.to(torch::kFloat64) - expected).abs().max().item<double>();
    EXPECT_LT(error, 1e-5) << "query block " << block;
  }
}

TEST(Attention, BlockedBfloat16IsAsAccurateAsOneBlock) {
  const Inputs in = random_inputs();
  const torch::Tensor bias = attention_bias(in.key_valid, kPast, kSteps);
  const torch::Tensor exact = attention(in.q, in.k, in.v, bias, kSteps);
  const auto bf16 = [](const torch::Tensor& t) { return t.to(torch::kBFloat16); };
  // Blocking changes the summation order, so bf16 roundings may differ; the error against the
  // float32 result must stay within a few roundings (2^-6 for outputs in [2, 4)) either way.
  for (const std::int64_t block : {kSteps, std::int64_t{2}}) {
    const torch::Tensor out = attention(bf16(in.q), bf16(in.k), bf16(in.v), bias, block);
    EXPECT_EQ(out.scalar_type(), torch::kBFloat16);
    EXPECT_LT((out.to(torch::kFloat32) - exact).abs().max().item<float>(), 3.0f / 64)
        << "query block " << block;
  }
}

// A prompt of two tokens, continuations of two and one, and a padding slot: each continuation
// sees the prompt and itself and takes the positions it would have alone; no one sees the
// padding (whose own output is never used).
TEST(Attention, PackedSegmentsSeeThePrefixAndThemselves) {
  const torch::Tensor valid = torch::tensor({1, 1, 1, 1, 1, 0}).to(torch::kBool).unsqueeze(0);
  const torch::Tensor segments = torch::tensor({0, 0, 1, 1, 2, 0}).to(torch::kInt64).unsqueeze(0);
  const PackedAttention packed = packed_attention(valid, segments);
  EXPECT_TRUE(
      packed.positions.equal(torch::tensor({0, 1, 2, 3, 2, 0}).to(torch::kInt64).unsqueeze(0)));
  const torch::Tensor seen = packed.bias[0][0][0].isfinite().to(torch::kInt64);
  const torch::Tensor expected = torch::tensor({1, 0, 0, 0, 0, 0,  //
                                                1, 1, 0, 0, 0, 0,  //
                                                1, 1, 1, 0, 0, 0,  //
                                                1, 1, 1, 1, 0, 0,  //
                                                1, 1, 0, 0, 1, 0,  //
                                                1, 1, 0, 0, 0, 1})
                                     .to(torch::kInt64)
                                     .view({6, 6});
  EXPECT_TRUE(seen.equal(expected)) << seen;
}

}  // namespace
}  // namespace claw::model
