#include "recover/recovery.h"

#include <torch/utils.h>

#include "core/error.h"
#include "core/log.h"
#include "core/option_table.h"
#include "model/layout.h"
#include "recover/recovery_options.h"

namespace claw::recover {
namespace {

Json curve(const std::vector<LossPoint>& points) {
  Json out = Json::array();
  for (const LossPoint& p : points) {
    out.push_back({{"step", p.step}, {"tokens", p.tokens}, {"loss", p.loss}});
    if (p.next_token) out.back()["next_token"] = *p.next_token;
    if (p.distillation) out.back()["distillation"] = *p.distillation;
  }
  return out;
}

}  // namespace

std::string held_out_data(const RecoveryOptions& options) {
  if (options.eval_data) return *options.eval_data;
  const std::string& data = options.data;
  if (data == "alpaca" || data == "alpaca:train") return "alpaca:test";
  if (data == "tinystories" || data == "tinystories:train") return "tinystories:test";
  return "";
}

bool sets_distillation(const RecoveryOptions& options) {
  const TrainerOptions defaults;
  return options.trainer.kd_weight != defaults.kd_weight ||
         options.trainer.kd.temperature != defaults.kd.temperature || options.trainer.kd.top_k;
}

void check_recovery_options(const RecoveryOptions& options) {
  if (options.tokens < 0) throw OptionError("tokens", "(D) must be given and not negative");
  if (options.tokens > 0 && options.data.empty()) {
    throw OptionError("data", "must be given to train on D > 0 tokens");
  }
  if (options.teacher.empty() && sets_distillation(options)) {
    throw OptionError("kd_weight",
                      "and the other kd_ settings distil from a teacher; none was given");
  }
}

Objective recovery_objective(const RecoveryOptions& options) {
  return !options.teacher.empty() && options.trainer.kd_weight > 0 ? Objective::kDistillation
                                                                   : Objective::kNextToken;
}

Json recovery_settings(const RecoveryOptions& options, const std::string& dtype) {
  Json s = bound_recorded_values(options);
  const Objective objective = recovery_objective(options);
  s["objective"] = objective_name(objective);
  if (objective == Objective::kNextToken) {
    for (const char* name : {"kd_weight", "kd_temperature", "kd_top_k"}) s.erase(name);
  }
  s["eval_data"] = held_out_data(options);
  s["tokens"] = options.tokens;
  s["seed"] = options.seed;
  s["dtype"] = dtype;
  s["max_grad_norm"] = options.trainer.max_grad_norm;
  s["schedule"] = "linear warm-up, linear decay to 0";
  s["optimizer"] = "AdamW";
  return s;
}

RecoveryData prepare_recovery_data(const text::Tokenizer& tokenizer,
                                   const RecoveryOptions& options) {
  RecoveryData data;
  data.train = training_sequences(options.data, tokenizer, options.seq_len, options.prompt_loss);
  const std::string held_out = held_out_data(options);
  if (!held_out.empty()) {
    data.held_out = training_sequences(held_out, tokenizer, options.seq_len, options.prompt_loss);
    if (static_cast<std::int64_t>(data.held_out.size()) > options.eval_sequences) {
      data.held_out.resize(static_cast<std::size_t>(options.eval_sequences));
    }
  }
  return data;
}

Json train_recovery(model::Model& model, const RecoveryData& data, const RecoveryOptions& options,
                    const model::Model* teacher) {
  CLAW_CHECK((teacher != nullptr) == !options.teacher.empty(),
             "a teacher is loaded exactly when the options name one");
  TrainingReport report;
  std::vector<torch::Tensor> trainable;
  if (options.tokens > 0) {
    torch::manual_seed(options.seed);  // LoRA dropout
    const std::vector<TrainingSequence> sequences =
        take_scored_tokens(data.train, options.tokens, options.epochs, options.seed, options.data);
    if (options.full) {
      for (const model::TensorSpec& spec : model::tensor_layout(model.config)) {
        trainable.push_back(model::tensor_slot(model, spec).requires_grad_());
      }
    } else {
      at::Generator generator = at::detail::createCPUGenerator(options.seed);
      trainable = attach_lora(model, options.lora, generator);
    }
    log::info("recovering on ", options.tokens, " tokens of ", options.data, " (", sequences.size(),
              " sequences of up to ", options.seq_len, " tokens)");
    if (recovery_objective(options) == Objective::kDistillation) {
      log::info("distilling from ", options.teacher, " (kd_weight ", options.trainer.kd_weight,
                ", T = ", options.trainer.kd.temperature, ")");
    }
    report = train(model, trainable, sequences, data.held_out, options.trainer, teacher);
  }
  for (torch::Tensor& t : trainable) t.requires_grad_(false);
  Json record = {{"tokens_seen", report.tokens},
                 {"steps", report.steps},
                 {"train_loss", curve(report.train)},
                 {"held_out_loss", curve(report.eval)},
                 {"seconds", report.seconds},
                 {"tokens_per_second", report.seconds > 0 ? report.tokens / report.seconds : 0.0}};
  if (!report.stopped.empty()) record["stopped"] = report.stopped;
  return record;
}

}  // namespace claw::recover
