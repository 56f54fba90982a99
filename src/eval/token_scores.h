// What the LM head says about given next tokens: their log-probabilities and whether each is
// the most likely one. Shared by the intrinsic and the zero-shot scorers.
#pragma once

#include <torch/types.h>

#include "model/model.h"

namespace claw::eval {

struct TokenScores {
  torch::Tensor log_probs;  // [N] float64: log softmax(head(hidden))[target]
  torch::Tensor greedy;  // [N] bool: target is the argmax (first on ties); undefined unless asked
};

// hidden [N, hidden_size] final-normalised states, targets [N] int64. The head runs a few rows
// at a time and the log-softmax in float32 whatever the model dtype, so no [N, vocab] tensor is
// ever held whole.
TokenScores score_tokens(const model::Model& model, const torch::Tensor& hidden,
                         const torch::Tensor& targets, bool want_greedy);

}  // namespace claw::eval
