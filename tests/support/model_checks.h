// Checks every structurally compressed model must pass, shared by the methods' tests.
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <vector>

#include "model/model.h"

namespace claw::testing {

// A tiny Qwen2 config with every feature the decoder has: GQA, q/k/v, o_proj and MLP biases, an
// untied head, Llama 3.1 RoPE scaling, per-layer MLP widths and KV heads (2 layers, vocabulary 64).
model::ModelConfig every_feature_config();

// Random weights for `config`, large enough that activations are O(1), with norms that are not all
// ones, drawn in float32 and stored in `dtype`.
model::Model every_feature_model(const model::ModelConfig& config = every_feature_config(),
                                 torch::ScalarType dtype = torch::kFloat32);

// The tiny real model (llama2.c's stories260K) from the shared data.
model::Model load_stories260k();

// Random token ids [batch, length] below min(vocab, 500), which every test vocabulary has.
torch::Tensor random_tokens(const model::ModelConfig& config, std::int64_t batch,
                            std::int64_t length, std::uint64_t seed);

// The same as `count` sequences of int32 ids, the form calibration text takes.
std::vector<std::vector<std::int32_t>> random_sequences(const model::ModelConfig& config,
                                                        std::int64_t count, std::int64_t length,
                                                        std::uint64_t seed);

// The largest |difference| between the logits of `tokens` [B, T] scored whole and decoded
// through the KV cache: a prompt of `prompt` tokens, then one token at a time.
double cached_decoding_error(const model::Model& model, const torch::Tensor& tokens,
                             std::int64_t prompt);

// The largest |difference| between the logits of two models on the same random tokens.
double largest_logit_difference(const model::Model& a, const model::Model& b,
                                std::uint64_t seed = 3);

}  // namespace claw::testing
