// Knowledge distillation's soft term (Hinton, Vinyals and Dean, 2015): how far the student's
// temperature-softened next-token distribution is from the teacher's, as the forward KL
// divergence T² · KL(softmax(z_t / T) ‖ softmax(z_s / T)). The T² keeps the soft term's gradient
// on the scale of the next-token loss's whatever the temperature: the gradient with respect to
// the student's logits is T · (q − p).
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <optional>

namespace claw::recover {

struct DistillationSettings {
  double temperature = 1;  // T > 0: above 1 softens both distributions
  // Only the teacher's K largest logits per position, renormalised over those K (its
  // distribution is zero elsewhere), for big vocabularies; unset: every token.
  std::optional<std::int64_t> top_k;
};

// An error unless T > 0 and K ≥ 1.
void check_distillation_settings(const DistillationSettings& settings);

// T² · KL(p_t ‖ q_s) summed over the N rows of `student` [N, V] (differentiable) and `teacher`
// [N, V] (not), computed in float32, or in float64 where the student's logits are. With top-k, the
// student's log-probabilities are still normalised over the whole vocabulary, so mass it puts
// outside the teacher's K tokens is penalised too.
torch::Tensor distillation_kl(const torch::Tensor& student, const torch::Tensor& teacher,
                              const DistillationSettings& settings);

}  // namespace claw::recover
