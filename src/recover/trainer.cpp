#include "recover/trainer.h"

#include <torch/nn/utils/clip_grad.h>
#include <torch/optim/adamw.h>

#include <cmath>

#include "core/error.h"
#include "core/log.h"
#include "core/option_table.h"
#include "core/progress.h"
#include "core/stopwatch.h"
#include "model/decoder.h"
#include "recover/lora.h"

namespace claw::recover {

namespace {

// The final hidden states at the scored positions of sequences[first, first + count) [N, hidden]
// (with the graph that made them) and the targets they predict [N].
struct ScoredStates {
  torch::Tensor hidden, targets;
};

ScoredStates scored_states(const model::Model& model,
                           const std::vector<TrainingSequence>& sequences, std::size_t first,
                           std::size_t count, bool recompute_layers = false) {
  std::int64_t length = 0;
  for (std::size_t i = first; i < first + count; ++i) {
    length = std::max<std::int64_t>(length, static_cast<std::int64_t>(sequences[i].tokens.size()));
  }
  const auto n = static_cast<std::int64_t>(count);
  torch::Tensor tokens = torch::zeros({n, length}, torch::kLong);
  torch::Tensor valid = torch::zeros({n, length}, torch::kBool);
  torch::Tensor scored = torch::zeros({n, length - 1}, torch::kBool);
  for (std::int64_t b = 0; b < n; ++b) {
    const TrainingSequence& s = sequences[first + static_cast<std::size_t>(b)];
    const auto len = static_cast<std::int64_t>(s.tokens.size());
    tokens[b].narrow(0, 0, len).copy_(torch::tensor(s.tokens, torch::kInt));
    valid[b].narrow(0, 0, len).fill_(true);
    scored[b]
        .narrow(0, 0, len - 1)
        .copy_(torch::tensor(std::vector<std::int64_t>(s.scored.begin(), s.scored.end()))
                   .to(torch::kBool));
  }
  const torch::Device device = model.device();
  const torch::Tensor hidden =
      model::final_hidden_states(
          model, tokens.to(device), valid.to(device), nullptr,
          {.last_position_only = false, .segments = {}, .recompute_layers = recompute_layers})
          .narrow(1, 0, length - 1);
  // Padding is on the right, so real tokens keep their positions.
  const torch::Tensor mask = scored.to(device);
  return {hidden.index({mask}), tokens.narrow(1, 1, length - 1).to(device).index({mask})};
}

// The summed negative log-likelihood of `targets` given the head's `logits`, in float32 (or the
// logits' dtype where wider).
torch::Tensor logits_nll(const torch::Tensor& logits, const torch::Tensor& targets) {
  const torch::Tensor wide = logits.to(at::promote_types(logits.scalar_type(), torch::kFloat));
  return torch::nll_loss(torch::log_softmax(wide, -1), targets, {}, at::Reduction::Sum);
}

// The same from `hidden` through the head.
torch::Tensor head_nll(const model::Model& model, const torch::Tensor& hidden,
                       const torch::Tensor& targets) {
  return logits_nll(model::project(hidden, model.head()), targets);
}

// The head's logits are made for at most this many bytes of float32 at once while training.
constexpr std::int64_t kTrainingLogitBytes = std::int64_t{128} << 20;

// What one forward pass over sequences[first, first + count) trained on, summed over its targets.
struct BatchLoss {
  double nll = 0;           // the next-token loss
  double distillation = 0;  // T² · KL from the teacher; 0 without one
  std::int64_t targets = 0;
  double objective(double kd_weight) const {
    return kd_weight > 0 ? (1 - kd_weight) * nll + kd_weight * distillation : nll;
  }
};

// The teacher a batch is distilled from, and how.
struct Distilling {
  const model::Model& teacher;
  double weight;
  const DistillationSettings& settings;
};

// The losses of sequences[first, first + count); while gradients are recorded, `scale` × the
// objective is back-propagated. The head and the loss run a few rows at a time, each row block's
// gradient reaching the hidden states before the next block's logits are made, so no [tokens,
// vocab] logits (nor their log-softmax and gradients) are held whole: with Qwen's vocabulary they
// would be the largest thing in memory. A teacher runs once per batch, without gradients, and its
// logits are made block by block beside the student's.
BatchLoss scored_loss_in_blocks(const model::Model& model,
                                const std::vector<TrainingSequence>& sequences, std::size_t first,
                                std::size_t count, double scale, bool recompute_layers,
                                const std::optional<Distilling>& distilling = std::nullopt) {
  const ScoredStates states = scored_states(model, sequences, first, count, recompute_layers);
  torch::Tensor teacher_hidden;
  if (distilling) {
    const torch::NoGradGuard no_grad;
    teacher_hidden = scored_states(distilling->teacher, sequences, first, count).hidden;
  }
  BatchLoss loss;
  loss.targets = states.hidden.size(0);
  const std::int64_t block =
      std::max<std::int64_t>(1, kTrainingLogitBytes / (model.head().size(0) * 4));
  const torch::Tensor hidden = states.hidden.detach().requires_grad_(states.hidden.requires_grad());
  for (std::int64_t begin = 0; begin < loss.targets; begin += block) {
    const std::int64_t n = std::min(block, loss.targets - begin);
    // The student's logits serve both terms.
    const torch::Tensor logits = model::project(hidden.narrow(0, begin, n), model.head());
    const torch::Tensor nll = logits_nll(logits, states.targets.narrow(0, begin, n));
    torch::Tensor objective = nll;
    loss.nll += nll.item<double>();
    if (distilling) {
      torch::Tensor teacher_logits;
      {
        const torch::NoGradGuard no_grad;
        teacher_logits =
            model::project(teacher_hidden.narrow(0, begin, n), distilling->teacher.head());
      }
      const torch::Tensor kd = distillation_kl(logits, teacher_logits, distilling->settings);
      loss.distillation += kd.item<double>();
      objective = (1 - distilling->weight) * nll + distilling->weight * kd;
    }
    // The caller stops before any update.
    if (!std::isfinite(loss.objective(distilling ? distilling->weight : 0))) return loss;
    if (objective.requires_grad()) (objective * scale).backward();
  }
  if (hidden.grad().defined()) states.hidden.backward(hidden.grad());
  return loss;
}

}  // namespace

std::pair<torch::Tensor, std::int64_t> scored_nll(const model::Model& model,
                                                  const std::vector<TrainingSequence>& sequences,
                                                  std::size_t first, std::size_t count) {
  const ScoredStates states = scored_states(model, sequences, first, count);
  return {head_nll(model, states.hidden, states.targets), states.hidden.size(0)};
}

namespace {

double learning_rate_at(const TrainerOptions& o, std::int64_t step, std::int64_t total) {
  if (step < o.warmup)
    return o.learning_rate * static_cast<double>(step + 1) / static_cast<double>(o.warmup + 1);
  const double left = static_cast<double>(total - step) /
                      static_cast<double>(std::max<std::int64_t>(1, total - o.warmup));
  return o.learning_rate * std::max(0.0, left);
}

}  // namespace

double mean_loss(const model::Model& model, const std::vector<TrainingSequence>& sequences,
                 std::int64_t batch) {
  torch::NoGradGuard no_grad;
  double total = 0;
  std::int64_t count = 0;
  for (std::size_t first = 0; first < sequences.size(); first += static_cast<std::size_t>(batch)) {
    const std::size_t n =
        std::min<std::size_t>(static_cast<std::size_t>(batch), sequences.size() - first);
    const BatchLoss loss = scored_loss_in_blocks(model, sequences, first, n, 1.0, false);
    total += loss.nll;
    count += loss.targets;
  }
  CLAW_CHECK(count > 0, "no loss-bearing tokens to evaluate");
  return total / static_cast<double>(count);
}

TrainingReport train(model::Model& model, const std::vector<torch::Tensor>& parameters,
                     const std::vector<TrainingSequence>& sequences,
                     const std::vector<TrainingSequence>& held_out, const TrainerOptions& o,
                     const model::Model* teacher) {
  if (o.batch < 1) throw OptionError("batch", "must be at least 1");
  if (o.grad_accum < 1) throw OptionError("grad_accum", "must be at least 1");
  std::optional<Distilling> distilling;
  if (teacher != nullptr && o.kd_weight > 0) {
    check_distillation_settings(o.kd);
    CLAW_CHECK(teacher->config.vocab_size == model.config.vocab_size, "the teacher's vocabulary (",
               teacher->config.vocab_size, " tokens) is not the student's (",
               model.config.vocab_size, ")");
    distilling.emplace(Distilling{*teacher, o.kd_weight, o.kd});
  }
  torch::optim::AdamW optimizer(
      parameters, torch::optim::AdamWOptions(o.learning_rate).weight_decay(o.weight_decay));
  const std::size_t per_step = static_cast<std::size_t>(o.batch * o.grad_accum);
  const auto total_steps = static_cast<std::int64_t>((sequences.size() + per_step - 1) / per_step);
  std::int64_t total_tokens = 0;
  for (const TrainingSequence& s : sequences) total_tokens += s.scored_count();

  TrainingReport report;
  const Stopwatch time;
  const auto evaluate = [&] {
    if (held_out.empty()) return;
    set_lora_training(model, false);
    const double loss = mean_loss(model, held_out, o.batch);
    set_lora_training(model, true);
    report.eval.push_back({report.steps, report.tokens, loss, std::nullopt, std::nullopt});
    log::info("step ", report.steps, ": held-out loss ", loss);
  };
  evaluate();  // the starting point of the held-out curve
  set_lora_training(model, true);
  Progress progress("recover", total_tokens, "tokens");
  for (std::size_t first = 0; first < sequences.size(); first += per_step) {
    const std::size_t in_step = std::min(per_step, sequences.size() - first);
    std::int64_t step_tokens = 0;
    for (std::size_t i = first; i < first + in_step; ++i)
      step_tokens += sequences[i].scored_count();
    optimizer.zero_grad();
    double step_loss = 0, step_nll = 0, step_distillation = 0;
    for (std::size_t micro = first; micro < first + in_step;
         micro += static_cast<std::size_t>(o.batch)) {
      const std::size_t n =
          std::min<std::size_t>(static_cast<std::size_t>(o.batch), first + in_step - micro);
      const double scale = 1.0 / static_cast<double>(step_tokens);
      const BatchLoss loss =
          scored_loss_in_blocks(model, sequences, micro, n, scale, !o.keep_activations, distilling);
      const double value = loss.objective(distilling ? o.kd_weight : 0) * scale;
      step_nll += loss.nll * scale;
      step_distillation += loss.distillation * scale;
      if (!std::isfinite(value)) {
        report.stopped = concat("the loss became non-finite at step ", report.steps + 1,
                                "; stopped with the parameters of the last good step");
        break;
      }
      step_loss += value;
    }
    if (!report.stopped.empty()) break;
    const double norm = torch::nn::utils::clip_grad_norm_(parameters, o.max_grad_norm);
    if (!std::isfinite(norm)) {
      report.stopped = concat("the gradient became non-finite at step ", report.steps + 1,
                              "; stopped with the parameters of the last good step");
      break;
    }
    const double lr = learning_rate_at(o, report.steps, total_steps);
    for (auto& group : optimizer.param_groups()) {
      static_cast<torch::optim::AdamWOptions&>(group.options()).lr(lr);
    }
    optimizer.step();
    ++report.steps;
    report.tokens += step_tokens;
    report.train.push_back({report.steps, report.tokens, step_loss, std::nullopt, std::nullopt});
    if (distilling) {
      report.train.back().next_token = step_nll;
      report.train.back().distillation = step_distillation;
    }
    progress.set_detail(concat("loss ", step_loss));
    progress.advance(step_tokens);
    if (o.eval_every > 0 && report.steps % o.eval_every == 0) evaluate();
  }
  progress.finish();
  if (!report.stopped.empty()) log::warn(report.stopped);
  if (report.eval.empty() || report.eval.back().step != report.steps) evaluate();
  set_lora_training(model, false);
  report.seconds = time.seconds();
  return report;
}

}  // namespace claw::recover
