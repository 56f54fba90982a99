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

std::pair<torch::Tensor, std::int64_t> scored_nll(const model::Model& model,
                                                  const std::vector<TrainingSequence>& sequences,
                                                  std::size_t first, std::size_t count) {
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
      model::final_hidden_states(model, tokens.to(device), valid.to(device))
          .narrow(1, 0, length - 1);
  const torch::Tensor mask = scored.to(device);
  // The head only on the scored positions: a [B, T, vocab] logits tensor would be the largest
  // thing in memory. Padding is on the right, so real tokens keep their positions.
  const torch::Tensor logits = model::project(hidden.index({mask}), model.head());
  const torch::Tensor wide = logits.to(at::promote_types(logits.scalar_type(), torch::kFloat));
  const torch::Tensor targets = tokens.narrow(1, 1, length - 1).to(device).index({mask});
  const torch::Tensor nll =
      torch::nll_loss(torch::log_softmax(wide, -1), targets, {}, at::Reduction::Sum);
  return {nll, mask.sum().item<std::int64_t>()};
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
    const auto [nll, scored] = scored_nll(model, sequences, first, n);
    total += nll.item<double>();
    count += scored;
  }
  CLAW_CHECK(count > 0, "no loss-bearing tokens to evaluate");
  return total / static_cast<double>(count);
}

TrainingReport train(model::Model& model, const std::vector<torch::Tensor>& parameters,
                     const std::vector<TrainingSequence>& sequences,
                     const std::vector<TrainingSequence>& held_out, const TrainerOptions& o) {
  if (o.batch < 1) throw OptionError("batch", "must be at least 1");
  if (o.grad_accum < 1) throw OptionError("grad_accum", "must be at least 1");
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
    report.eval.push_back({report.steps, report.tokens, loss});
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
    double step_loss = 0;
    for (std::size_t micro = first; micro < first + in_step;
         micro += static_cast<std::size_t>(o.batch)) {
      const std::size_t n =
          std::min<std::size_t>(static_cast<std::size_t>(o.batch), first + in_step - micro);
      const auto [nll, scored] = scored_nll(model, sequences, micro, n);
      const torch::Tensor loss = nll / static_cast<double>(step_tokens);
      const double value = loss.item<double>();
      if (!std::isfinite(value)) {
        report.stopped = concat("the loss became non-finite at step ", report.steps + 1,
                                "; stopped with the parameters of the last good step");
        break;
      }
      loss.backward();
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
    report.train.push_back({report.steps, report.tokens, step_loss});
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
