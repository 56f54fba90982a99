// claw recover: recovery fine-tuning of a (compressed) model on D loss-bearing tokens, with LoRA
// or all weights, written as a merged HF directory plus the adapter in PEFT's layout.
#include <filesystem>

#include "cli/command.h"
#include "cli/runtime_flags.h"
#include "core/atomic_file.h"
#include "core/error.h"
#include "core/log.h"
#include "model/layout.h"
#include "model/load.h"
#include "model/runtime.h"
#include "model/save.h"
#include "recover/lora.h"
#include "recover/trainer.h"
#include "recover/training_data.h"
#include "text/load_tokenizer.h"

namespace claw::cli {
namespace fs = std::filesystem;
namespace {

struct RecoverArgs {
  std::string model, data, eval_data, output, tokenizer;
  std::int64_t tokens = -1, seq_len = 512, epochs = 1, eval_sequences = 32;
  bool full = false, prompt_loss = false, force = false;
  std::uint64_t seed = 0;
  recover::LoraOptions lora;
  recover::TrainerOptions trainer;
  RuntimeFlags runtime;
};

// The held-out data for a training set: the test split of a train split, else none.
std::string default_eval_data(const std::string& data) {
  if (data == "alpaca" || data == "alpaca:train") return "alpaca:test";
  if (data == "tinystories" || data == "tinystories:train") return "tinystories:test";
  return "";
}

void convert_dtype(model::Model& model, torch::ScalarType type) {
  for (const model::TensorSpec& spec : model::tensor_layout(model.config)) {
    torch::Tensor& t = model::tensor_slot(model, spec);
    t = t.to(type);
  }
}

Json curve(const std::vector<recover::LossPoint>& points) {
  Json out = Json::array();
  for (const recover::LossPoint& p : points) {
    out.push_back({{"step", p.step}, {"tokens", p.tokens}, {"loss", p.loss}});
  }
  return out;
}

Json settings(const RecoverArgs& a) {
  Json s = {{"data", a.data},
            {"eval_data", a.eval_data},
            {"tokens", a.tokens},
            {"seq_len", a.seq_len},
            {"batch", a.trainer.batch},
            {"grad_accum", a.trainer.grad_accum},
            {"learning_rate", a.trainer.learning_rate},
            {"warmup_steps", a.trainer.warmup},
            {"weight_decay", a.trainer.weight_decay},
            {"max_grad_norm", a.trainer.max_grad_norm},
            {"schedule", "linear warm-up, linear decay to 0"},
            {"optimizer", "AdamW"},
            {"epochs", a.epochs},
            {"loss_on_prompt", a.prompt_loss},
            {"seed", a.seed},
            {"dtype", a.runtime.dtype}};
  if (a.full) {
    s["method"] = "full";
  } else {
    s["method"] = "lora";
    s["lora"] = {{"rank", a.lora.rank},
                 {"alpha", a.lora.alpha},
                 {"dropout", a.lora.dropout},
                 {"targets", a.lora.targets}};
  }
  return s;
}

void run(RecoverArgs& args) {
  CLAW_CHECK(args.tokens >= 0, "--tokens D must be given and not negative");
  if (!args.full) recover::check_lora_options(args.lora);
  const fs::path input = resolve_model_argument(args.model);
  CLAW_CHECK(!path_within(input, args.output), args.output,
             ": the output would overwrite the input ", input.string());
  check_directory_writable(args.output, args.force);
  if (args.eval_data.empty()) args.eval_data = default_eval_data(args.data);

  model::LoadOptions load = args.runtime.apply();
  const torch::ScalarType compute = *load.dtype;
  load.dtype.reset();
  model::Model model = model::load_model(input, load);
  const torch::ScalarType stored = model.dtype();
  const std::string base_hash = model::content_hash(model);
  convert_dtype(model, compute);
  CLAW_CHECK(args.seq_len <= model.config.max_position_embeddings, "--seq-len ", args.seq_len,
             " is longer than the model's context of ", model.config.max_position_embeddings);
  const auto tokenizer =
      text::load_tokenizer(model_tokenizer_path(input, model.config.vocab_size, args.tokenizer));

  Json record = {{"source", {{"path", input.string()}, {"content_hash", base_hash}}},
                 {"settings", settings(args)},
                 {"claw_version", CLAW_VERSION}};
  recover::TrainingReport report;
  std::vector<torch::Tensor> trainable;
  if (args.tokens > 0) {
    torch::manual_seed(args.seed);  // LoRA dropout
    const std::vector<recover::TrainingSequence> sequences = recover::take_scored_tokens(
        recover::training_sequences(args.data, *tokenizer, args.seq_len, args.prompt_loss),
        args.tokens, args.epochs, args.seed, args.data);
    std::vector<recover::TrainingSequence> held_out;
    if (!args.eval_data.empty()) {
      held_out =
          recover::training_sequences(args.eval_data, *tokenizer, args.seq_len, args.prompt_loss);
      if (static_cast<std::int64_t>(held_out.size()) > args.eval_sequences) {
        held_out.resize(static_cast<std::size_t>(args.eval_sequences));
      }
    }
    if (args.full) {
      for (const model::TensorSpec& spec : model::tensor_layout(model.config)) {
        trainable.push_back(model::tensor_slot(model, spec).requires_grad_());
      }
    } else {
      at::Generator generator = at::detail::createCPUGenerator(args.seed);
      trainable = recover::attach_lora(model, args.lora, generator);
    }
    log::info("recovering on ", args.tokens, " tokens of ", args.data, " (", sequences.size(),
              " sequences of up to ", args.seq_len, " tokens)");
    report = recover::train(model, trainable, sequences, held_out, args.trainer);
  }
  record["tokens_seen"] = report.tokens;
  record["steps"] = report.steps;
  record["train_loss"] = curve(report.train);
  record["held_out_loss"] = curve(report.eval);
  record["seconds"] = report.seconds;
  record["tokens_per_second"] = report.seconds > 0 ? report.tokens / report.seconds : 0.0;
  if (!report.stopped.empty()) record["stopped"] = report.stopped;

  model::SaveOptions save;
  save.dtype = stored;
  save.replace = args.force;
  save.extra_files = companion_files(input, model.config.vocab_size, args.tokenizer);
  save.generated_files.emplace_back("recovery.json", record.dump(2) + "\n");
  const bool has_adapters = !args.full && args.tokens > 0;
  if (has_adapters) {
    save.write_more = [&](const fs::path& staging) {
      fs::create_directories(staging / "adapter");
      recover::save_peft_adapter(model, args.lora, staging / "adapter", input.string());
    };
  }
  torch::NoGradGuard no_grad;
  for (torch::Tensor& t : trainable) t.requires_grad_(false);
  // The copy shares tensors with `model`; merging replaces its adapted weights and drops its
  // adapter pointers, leaving `model`'s adapters for write_more to save.
  model::Model merged = model;
  recover::merge_lora(merged);
  model::save_model(merged, args.output, save);
  log::info("wrote ", args.output, ": ", report.tokens, " tokens in ", report.steps, " steps",
            report.eval.empty() ? "" : concat(", held-out loss ", report.eval.back().loss));
}

}  // namespace

void register_recover(CLI::App& app) {
  auto args = std::make_shared<RecoverArgs>();
  CLI::App* cmd = app.add_subcommand(
      "recover",
      "Fine-tune a model on D tokens with LoRA (or all weights) to recover from compression");
  cmd->add_option("--model", args->model, "HF directory, llama2.c checkpoint or model name")
      ->required();
  cmd->add_option(
         "--data", args->data,
         "training data: alpaca[:train|:test], jsonl:PATH, or a corpus (tinystories:train, "
         "wikitext2:valid, text:PATH, ...)")
      ->required();
  cmd->add_option("--tokens", args->tokens,
                  "D: loss-bearing tokens to train on (0: copy the model)")
      ->required();
  cmd->add_option("--out", args->output, "HF directory to create")->required();
  cmd->add_flag("--force", args->force, "replace the output directory if it exists");
  cmd->add_option("--seq-len", args->seq_len, "tokens per training sequence")
      ->capture_default_str();
  cmd->add_option("--batch", args->trainer.batch, "sequences per forward pass")
      ->capture_default_str();
  cmd->add_option("--grad-accum", args->trainer.grad_accum, "forward passes per optimizer step")
      ->capture_default_str();
  cmd->add_option("--lr", args->trainer.learning_rate, "peak learning rate")->capture_default_str();
  cmd->add_option("--warmup", args->trainer.warmup, "steps of linear warm-up")
      ->capture_default_str();
  cmd->add_option("--weight-decay", args->trainer.weight_decay, "AdamW weight decay")
      ->capture_default_str();
  cmd->add_option("--epochs", args->epochs, "passes over the data allowed to reach D tokens")
      ->capture_default_str();
  cmd->add_flag("--prompt-loss", args->prompt_loss,
                "train on prompt tokens too (default: the response only)");
  cmd->add_option("--lora-rank", args->lora.rank, "LoRA rank")->capture_default_str();
  cmd->add_option("--lora-alpha", args->lora.alpha, "LoRA alpha (scale alpha / rank)")
      ->capture_default_str();
  cmd->add_option("--lora-dropout", args->lora.dropout, "LoRA dropout")->capture_default_str();
  cmd->add_option("--targets", args->lora.targets, "projections with adapters")
      ->delimiter(',')
      ->capture_default_str();
  cmd->add_flag("--full", args->full, "train all weights instead of LoRA adapters");
  cmd->add_option("--eval-every", args->trainer.eval_every, "steps between held-out evaluations")
      ->capture_default_str();
  cmd->add_option("--eval-data", args->eval_data,
                  "held-out data (default: the test split of a train split)");
  cmd->add_option("--eval-sequences", args->eval_sequences, "held-out sequences evaluated")
      ->capture_default_str();
  cmd->add_option("--seed", args->seed, "random seed")->capture_default_str();
  cmd->add_option("--tokenizer", args->tokenizer, "tokenizer (default: the one beside the model)");
  args->runtime.add_to(*cmd);
  cmd->callback([args] { run(*args); });
}

}  // namespace claw::cli
