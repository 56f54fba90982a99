#include "recover/distillation.h"

#include "core/error.h"
#include "core/format.h"
#include "core/option_table.h"

namespace claw::recover {

void check_distillation_settings(const DistillationSettings& settings) {
  if (!(settings.temperature > 0)) {
    throw OptionError("kd_temperature", concat("must be positive, got ", settings.temperature));
  }
  if (settings.top_k && *settings.top_k < 1) {
    throw OptionError("kd_top_k", concat("must be at least 1 (leave it out for every token), got ",
                                         *settings.top_k));
  }
}

torch::Tensor distillation_kl(const torch::Tensor& student, const torch::Tensor& teacher,
                              const DistillationSettings& settings) {
  check_distillation_settings(settings);
  CLAW_CHECK(student.dim() == 2 && student.sizes() == teacher.sizes(),
             "the student's and the teacher's logits must both be [positions, vocabulary]");
  const torch::ScalarType wide =
      student.scalar_type() == torch::kFloat64 ? torch::kFloat64 : torch::kFloat32;
  const double t = settings.temperature;
  torch::Tensor log_q = torch::log_softmax(student.to(wide) / t, -1);
  torch::Tensor teacher_logits = teacher.detach().to(wide) / t;
  if (settings.top_k && *settings.top_k < teacher.size(1)) {
    const auto [values, indices] = teacher_logits.topk(*settings.top_k, -1);
    teacher_logits = values;
    log_q = log_q.gather(-1, indices);
  }
  const torch::Tensor log_p = torch::log_softmax(teacher_logits, -1);
  const torch::Tensor p = log_p.exp();
  // A token the teacher gives no probability adds nothing (0 · log 0 = 0), even at -inf.
  const torch::Tensor terms = torch::where(p > 0, p * (log_p - log_q), torch::zeros_like(p));
  return terms.sum() * (t * t);
}

}  // namespace claw::recover
