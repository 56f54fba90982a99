#include "recover/recovery.h"

#include <torch/utils.h>

#include "core/error.h"
#include "core/log.h"
#include "core/option_table.h"
#include "model/layout.h"

namespace claw::recover {
namespace {

Json curve(const std::vector<LossPoint>& points) {
  Json out = Json::array();
  for (const LossPoint& p : points) {
    out.push_back({{"step", p.step}, {"tokens", p.tokens}, {"loss", p.loss}});
  }
  return out;
}

}  // namespace

std::string default_eval_data(const std::string& data) {
  if (data == "alpaca" || data == "alpaca:train") return "alpaca:test";
  if (data == "tinystories" || data == "tinystories:train") return "tinystories:test";
  return "";
}

void check_recovery_options(const RecoveryOptions& options) {
  if (options.tokens < 0) throw OptionError("tokens", "(D) must be given and not negative");
  if (options.tokens > 0 && options.data.empty()) {
    throw OptionError("data", "must be given to train on D > 0 tokens");
  }
  if (options.seq_len < 2) {
    throw OptionError("seq_len", concat("must be at least 2, not ", options.seq_len));
  }
  if (options.epochs < 1) {
    throw OptionError("epochs", concat("must be at least 1, not ", options.epochs));
  }
  if (!options.full) check_lora_options(options.lora);
}

Json recovery_settings(const RecoveryOptions& options, const std::string& dtype) {
  const TrainerOptions& t = options.trainer;
  Json s = {{"data", options.data},
            {"eval_data", options.eval_data},
            {"tokens", options.tokens},
            {"seq_len", options.seq_len},
            {"batch", t.batch},
            {"grad_accum", t.grad_accum},
            {"learning_rate", t.learning_rate},
            {"warmup_steps", t.warmup},
            {"weight_decay", t.weight_decay},
            {"max_grad_norm", t.max_grad_norm},
            {"schedule", "linear warm-up, linear decay to 0"},
            {"optimizer", "AdamW"},
            {"epochs", options.epochs},
            {"loss_on_prompt", options.prompt_loss},
            {"seed", options.seed},
            {"dtype", dtype}};
  if (options.full) {
    s["method"] = "full";
  } else {
    s["method"] = "lora";
    s["lora"] = {{"rank", options.lora.rank},
                 {"alpha", options.lora.alpha},
                 {"dropout", options.lora.dropout},
                 {"targets", options.lora.targets}};
  }
  return s;
}

RecoveryData prepare_recovery_data(const text::Tokenizer& tokenizer,
                                   const RecoveryOptions& options) {
  RecoveryData data;
  data.train = training_sequences(options.data, tokenizer, options.seq_len, options.prompt_loss);
  if (!options.eval_data.empty()) {
    data.held_out =
        training_sequences(options.eval_data, tokenizer, options.seq_len, options.prompt_loss);
    if (static_cast<std::int64_t>(data.held_out.size()) > options.eval_sequences) {
      data.held_out.resize(static_cast<std::size_t>(options.eval_sequences));
    }
  }
  return data;
}

Json train_recovery(model::Model& model, const RecoveryData& data, const RecoveryOptions& options) {
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
    report = train(model, trainable, sequences, data.held_out, options.trainer);
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
