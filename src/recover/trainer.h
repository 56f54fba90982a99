// The recovery training loop: AdamW with linear warm-up and decay, gradient accumulation and
// clipping, over sequences that together hold exactly D loss-bearing tokens.
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "model/model.h"
#include "recover/distillation.h"
#include "recover/training_data.h"

namespace claw::recover {

struct TrainerOptions {
  std::int64_t batch = 4;       // sequences per forward pass
  std::int64_t grad_accum = 1;  // forward passes per optimizer step
  double learning_rate = 2e-4;
  std::int64_t warmup = 0;  // steps of linear warm-up, then linear decay to 0
  double weight_decay = 0;
  double max_grad_norm = 1.0;
  std::int64_t eval_every = 0;  // steps between held-out evaluations (0: at the end only)
  // Every layer's activations kept for the backward pass, rather than each layer run again there
  // (model::ForwardOptions::recompute_layers).
  bool keep_activations = false;
  // With a teacher given to train(): the loss is (1 − kd_weight) × the next-token loss +
  // kd_weight × the distillation term (distillation.h), per loss-bearing token. At weight 0 the
  // teacher is not run, and training is exactly that without one.
  double kd_weight = 1;
  DistillationSettings kd;
};

struct LossPoint {
  std::int64_t step;
  std::int64_t tokens;  // loss-bearing tokens trained on so far
  double loss;          // mean nats per token of what is trained on
  // Distilling: its two terms, per token (the loss is their mix).
  std::optional<double> next_token, distillation;
};

struct TrainingReport {
  std::int64_t steps = 0;
  std::int64_t tokens = 0;
  std::vector<LossPoint> train;
  std::vector<LossPoint> eval;  // from step 0, every eval_every steps, and at the end
  double seconds = 0;
  // Set when training stopped early (a non-finite loss or gradient); the model holds the
  // parameters of the last good step.
  std::string stopped;
};

// The summed negative log-likelihood of the scored targets of sequences[first, first + count)
// (differentiable), and how many targets there are. The sequences are right-padded to the
// longest.
std::pair<torch::Tensor, std::int64_t> scored_nll(const model::Model& model,
                                                  const std::vector<TrainingSequence>& sequences,
                                                  std::size_t first, std::size_t count);

// Mean loss per scored target of `sequences`, without gradients.
double mean_loss(const model::Model& model, const std::vector<TrainingSequence>& sequences,
                 std::int64_t batch);

// Trains `parameters` (tensors of `model` that require gradients) on `sequences` in order; with a
// `teacher` (same vocabulary), by distillation from it as `options` say. The held-out loss is
// the next-token loss either way.
TrainingReport train(model::Model& model, const std::vector<torch::Tensor>& parameters,
                     const std::vector<TrainingSequence>& sequences,
                     const std::vector<TrainingSequence>& held_out, const TrainerOptions& options,
                     const model::Model* teacher = nullptr);

}  // namespace claw::recover
