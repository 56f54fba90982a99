// claw's CPU decode step (model/cpu_decode.h) against the operator path it stands in for: the
// same logits, step after step, on every shape claw produces (GQA, biases, Llama 3.1 RoPE
// scaling, per-layer heads and MLP widths, removed attention or MLP sublayers, SliceGPT's sliced
// residual with its shortcut maps, tied and untied heads), in float32 and bf16, for one, three
// left-padded and eight sequences.
#include <gtest/gtest.h>
#include <torch/types.h>

#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include "model/cpu_decode.h"
#include "model/decoder.h"
#include "model/kv_cache.h"
#include "model/layout.h"
#include "support/model_checks.h"

namespace claw::model {
namespace {

struct Shape {
  std::string name;
  std::function<void(ModelConfig&)> edit;
};

const std::vector<Shape>& shapes() {
  static const std::vector<Shape> table = {{"every feature, untied head", [](ModelConfig&) {}},
                                           {"Llama, tied head, no RoPE scaling, no o or MLP bias",
                                            [](ModelConfig& c) {
                                              c.architecture = Architecture::kLlama;
                                              c.rope_scaling.reset();
                                              c.tie_word_embeddings = true;
                                              c.o_bias = c.mlp_bias = false;
                                            }},
                                           {"removed attention and MLP sublayers",
                                            [](ModelConfig& c) {
                                              c.kv_heads = {0, 1};
                                              c.intermediate_sizes = {40, 0};
                                            }},
                                           {"sliced residual", [](ModelConfig& c) {
                                              c.slicing = ResidualSlicing{{24, 20, 28, 16, 24}};
                                            }}};
  return table;
}

Model shaped_model(const Shape& shape, torch::ScalarType dtype) {
  ModelConfig config = testing::every_feature_config();
  shape.edit(config);
  validate_config(config, shape.name);
  return testing::every_feature_model(config, dtype);
}

struct Request {
  std::string name;
  torch::Tensor prompt, valid;  // valid undefined: no padding
  int steps;
};

std::vector<Request> requests() {
  const auto tokens = [](std::int64_t batch, std::int64_t length, std::int64_t first) {
    return (torch::arange(batch * length, torch::kInt64).view({batch, length}) * 7 + first) % 64;
  };
  const torch::Tensor left_padded =
      torch::tensor({true, true, true, true, false, false, true, true, false, true, true, true})
          .view({3, 4});
  return {{"one sequence", tokens(1, 5, 3), {}, 6},
          {"three left-padded sequences", tokens(3, 4, 5), left_padded, 6},
          {"eight sequences", tokens(8, 3, 1), {}, 3}};
}

// How far each path's logits fall from a reference over every decode step of `request`: the
// largest |difference| of claw's decode step and of the operator path from `reference` (for
// float32, the operator path itself; for bf16, the operator path on the same weights in float32,
// against which the operator path's own difference is its bf16 rounding), and the largest logit.
struct Differences {
  double ours = 0, operators = 0, largest = 0;
};

Differences differences(const Model& model, const Model& reference, const Request& request) {
  const torch::NoGradGuard no_grad;
  const std::int64_t batch = request.prompt.size(0);
  const std::int64_t capacity = request.prompt.size(1) + request.steps;
  const auto cache_for = [&](const Model& m) {
    return KvCache(m.config, batch, capacity, torch::kCPU, m.dtype());
  };
  KvCache ours = cache_for(model), operators = cache_for(model), exact = cache_for(reference);
  ForwardOptions operators_only;
  operators_only.operators_only = true;
  forward(model, request.prompt, request.valid, &ours);
  forward(model, request.prompt, request.valid, &operators);
  torch::Tensor logits = forward(reference, request.prompt, request.valid, &exact);
  Differences d;
  for (int step = 0; step < request.steps; ++step) {
    const torch::Tensor next = logits.select(1, logits.size(1) - 1).argmax(-1, true);
    EXPECT_TRUE(cpu_decode_applies(model, next, {}, &ours));
    logits = forward(reference, next, {}, &exact, operators_only);
    const torch::Tensor expected = logits.to(torch::kFloat64);
    const auto distance = [&](const torch::Tensor& t) {
      return (t.to(torch::kFloat64) - expected).abs().max().item<double>();
    };
    d.ours = std::max(d.ours, distance(forward(model, next, {}, &ours)));
    d.operators =
        std::max(d.operators, distance(forward(model, next, {}, &operators, operators_only)));
    d.largest = std::max(d.largest, expected.abs().max().item<double>());
  }
  return d;
}

TEST(CpuDecode, GivesTheOperatorPathsLogitsOnEveryShape) {
  for (const Shape& shape : shapes()) {
    for (const torch::ScalarType dtype : {torch::kFloat32, torch::kBFloat16}) {
      const Model model = shaped_model(shape, dtype);
      Model exact = model;
      if (dtype != torch::kFloat32) {
        for (const TensorSpec& spec : tensor_layout(exact.config)) {
          tensor_slot(exact, spec) = tensor_slot(model, spec).to(torch::kFloat32);
        }
      }
      for (const Request& request : requests()) {
        const Differences d = differences(model, exact, request);
        const std::string where = shape.name + ", " + std::string(c10::toString(dtype)) + ", " +
                                  request.name + ": largest logit " + std::to_string(d.largest);
        if (dtype == torch::kFloat32) {
          EXPECT_LE(d.ours, 1e-5 * std::max(1.0, d.largest)) << where;
        } else {
          // Within bf16 rounding: about as far from the float32 result as the operator path's
          // own rounding takes it. The two round at mostly the same places (the operator path
          // also rounds the attention's scores and weights and each term of RoPE) but in a
          // different order of sums, so either may come out ahead; measured, neither by more
          // than a quarter.
          EXPECT_LE(d.ours, 1.5 * d.operators) << where;
          EXPECT_GT(d.operators, 0) << where << ": the bf16 paths ran in float32";
        }
      }
    }
  }
}

TEST(CpuDecode, LeavesToTheOperatorsWhatItDoesNotRun) {
  const Model model = shaped_model(shapes().front(), torch::kFloat32);
  const KvCache cache(model.config, 9, 8, torch::kCPU, torch::kFloat32);
  const torch::Tensor one = torch::ones({1, 1}, torch::kInt64);
  {
    const torch::NoGradGuard no_grad;
    EXPECT_TRUE(cpu_decode_applies(model, one, {}, &cache));
    EXPECT_FALSE(cpu_decode_applies(model, one, {}, nullptr)) << "no cache";
    EXPECT_FALSE(cpu_decode_applies(model, torch::ones({1, 2}, torch::kInt64), {}, &cache))
        << "two tokens";
    EXPECT_FALSE(cpu_decode_applies(model, torch::ones({9, 1}, torch::kInt64), {}, &cache))
        << "nine sequences";
    EXPECT_FALSE(cpu_decode_applies(model, one, torch::ones({1, 1}, torch::kBool), &cache))
        << "a mask";
    Model adapted = model;
    adapted.layers[1].v.lora = std::make_shared<LowRankUpdate>();
    EXPECT_FALSE(cpu_decode_applies(adapted, one, {}, &cache)) << "LoRA adapters";
    const Model float64 = shaped_model(shapes().front(), torch::kFloat64);
    const KvCache cache64(model.config, 1, 8, torch::kCPU, torch::kFloat64);
    EXPECT_FALSE(cpu_decode_applies(float64, one, {}, &cache64)) << "float64";
  }
  EXPECT_FALSE(cpu_decode_applies(model, one, {}, &cache)) << "gradients wanted";
}

}  // namespace
}  // namespace claw::model
