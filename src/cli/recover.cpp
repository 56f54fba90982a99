// claw recover: recovery fine-tuning of a (compressed) model on D loss-bearing tokens, with LoRA
// or all weights, written as a merged HF directory plus the adapter in PEFT's layout.
#include <filesystem>

#include "cli/command.h"
#include "cli/runtime_flags.h"
#include "core/atomic_file.h"
#include "core/error.h"
#include "core/log.h"
#include "model/content_hash.h"
#include "model/layout.h"
#include "model/load.h"
#include "model/runtime.h"
#include "model/save.h"
#include "recover/lora.h"
#include "recover/recovery.h"
#include "text/load_tokenizer.h"

namespace claw::cli {
namespace fs = std::filesystem;
namespace {

struct RecoverArgs {
  std::string model, output, tokenizer;
  bool force = false;
  recover::RecoveryOptions recovery;
  RuntimeFlags runtime;
};

void convert_dtype(model::Model& model, torch::ScalarType type) {
  for (const model::TensorSpec& spec : model::tensor_layout(model.config)) {
    torch::Tensor& t = model::tensor_slot(model, spec);
    t = t.to(type);
  }
}

void run(RecoverArgs& args) {
  recover::RecoveryOptions& options = args.recovery;
  recover::check_recovery_options(options);
  const fs::path input = resolve_model_argument(args.model);
  CLAW_CHECK(!path_within(input, args.output), args.output,
             ": the output would overwrite the input ", input.string());
  check_directory_writable(args.output, args.force);
  if (options.eval_data.empty()) options.eval_data = recover::default_eval_data(options.data);

  model::LoadOptions load = args.runtime.apply();
  const torch::ScalarType compute = *load.dtype;
  load.dtype.reset();
  model::Model model = model::load_model(input, load);
  const torch::ScalarType stored = model.dtype();
  const std::string base_hash = model::content_hash(model);
  convert_dtype(model, compute);
  CLAW_CHECK(options.seq_len <= model.config.max_position_embeddings, "--seq-len ", options.seq_len,
             " is longer than the model's context of ", model.config.max_position_embeddings);
  const auto tokenizer =
      text::load_tokenizer(model_tokenizer_path(input, model.config.vocab_size, args.tokenizer));

  Json record = {{"source", {{"path", input.string()}, {"content_hash", base_hash}}},
                 {"settings", recover::recovery_settings(options, args.runtime.dtype)},
                 {"claw_version", CLAW_VERSION}};
  const recover::RecoveryData data = options.tokens > 0
                                         ? recover::prepare_recovery_data(*tokenizer, options)
                                         : recover::RecoveryData{};
  record.update(recover::train_recovery(model, data, options));

  model::SaveOptions save;
  save.dtype = stored;
  save.replace = args.force;
  save.extra_files = companion_files(input, model.config.vocab_size, args.tokenizer);
  save.generated_files.emplace_back("recovery.json", record.dump(2) + "\n");
  const bool has_adapters = !options.full && options.tokens > 0;
  if (has_adapters) {
    save.write_more = [&](const fs::path& staging) {
      fs::create_directories(staging / "adapter");
      recover::save_peft_adapter(model, options.lora, staging / "adapter", input.string());
    };
  }
  torch::NoGradGuard no_grad;
  // The copy shares tensors with `model`; merging replaces its adapted weights and drops its
  // adapter pointers, leaving `model`'s adapters for write_more to save.
  model::Model merged = model;
  recover::merge_lora(merged);
  model::save_model(merged, args.output, save);
  const Json& held_out = record["held_out_loss"];
  log::info(
      "wrote ", args.output, ": ", record["tokens_seen"].get<std::int64_t>(), " tokens in ",
      record["steps"].get<std::int64_t>(), " steps",
      held_out.empty() ? "" : concat(", held-out loss ", held_out.back()["loss"].get<double>()));
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
         "--data", args->recovery.data,
         "training data: alpaca[:train|:test], jsonl:PATH, or a corpus (tinystories:train, "
         "wikitext2:valid, text:PATH, ...)")
      ->required();
  cmd->add_option("--tokens", args->recovery.tokens,
                  "D: loss-bearing tokens to train on (0: copy the model)")
      ->required();
  cmd->add_option("--out", args->output, "HF directory to create")->required();
  cmd->add_flag("--force", args->force, "replace the output directory if it exists");
  cmd->add_option("--seq-len", args->recovery.seq_len, "tokens per training sequence")
      ->capture_default_str();
  cmd->add_option("--batch", args->recovery.trainer.batch, "sequences per forward pass")
      ->capture_default_str();
  cmd->add_option("--grad-accum", args->recovery.trainer.grad_accum,
                  "forward passes per optimizer step")
      ->capture_default_str();
  cmd->add_option("--lr", args->recovery.trainer.learning_rate, "peak learning rate")
      ->capture_default_str();
  cmd->add_option("--warmup", args->recovery.trainer.warmup, "steps of linear warm-up")
      ->capture_default_str();
  cmd->add_option("--weight-decay", args->recovery.trainer.weight_decay, "AdamW weight decay")
      ->capture_default_str();
  cmd->add_option("--epochs", args->recovery.epochs,
                  "passes over the data allowed to reach D tokens")
      ->capture_default_str();
  cmd->add_flag("--prompt-loss", args->recovery.prompt_loss,
                "train on prompt tokens too (default: the response only)");
  cmd->add_option("--lora-rank", args->recovery.lora.rank, "LoRA rank")->capture_default_str();
  cmd->add_option("--lora-alpha", args->recovery.lora.alpha, "LoRA alpha (scale alpha / rank)")
      ->capture_default_str();
  cmd->add_option("--lora-dropout", args->recovery.lora.dropout, "LoRA dropout")
      ->capture_default_str();
  cmd->add_option("--targets", args->recovery.lora.targets, "projections with adapters")
      ->delimiter(',')
      ->capture_default_str();
  cmd->add_flag("--full", args->recovery.full, "train all weights instead of LoRA adapters");
  cmd->add_option("--eval-every", args->recovery.trainer.eval_every,
                  "steps between held-out evaluations")
      ->capture_default_str();
  cmd->add_option("--eval-data", args->recovery.eval_data,
                  "held-out data (default: the test split of a train split)");
  cmd->add_option("--eval-sequences", args->recovery.eval_sequences, "held-out sequences evaluated")
      ->capture_default_str();
  cmd->add_option("--seed", args->recovery.seed, "random seed")->capture_default_str();
  cmd->add_option("--tokenizer", args->tokenizer, "tokenizer (default: the one beside the model)");
  args->runtime.add_to(*cmd);
  cmd->callback([args] { run(*args); });
}

}  // namespace claw::cli
