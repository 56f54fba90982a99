// claw recover: recovery fine-tuning of a (compressed) model on D loss-bearing tokens, with LoRA
// or all weights, written as a merged HF directory plus the adapter in PEFT's layout.
#include <filesystem>
#include <optional>

#include "cli/command.h"
#include "cli/option_flags.h"
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
#include "recover/recovery_options.h"
#include "text/load_tokenizer.h"

namespace claw::cli {
namespace fs = std::filesystem;
namespace {

struct RecoverArgs {
  std::string model, output, tokenizer, teacher;
  bool force = false;
  std::int64_t tokens = -1;
  std::uint64_t seed = 0;
  OptionFlags flags;
  RuntimeFlags runtime;
};

void convert_dtype(model::Model& model, torch::ScalarType type) {
  for (const model::TensorSpec& spec : model::tensor_layout(model.config)) {
    torch::Tensor& t = model::tensor_slot(model, spec);
    t = t.to(type);
  }
}

// A teacher must be a model whose next-token distribution is over the student's vocabulary.
void check_teacher(const fs::path& teacher, const model::ModelConfig& student,
                   const text::Tokenizer& tokenizer) {
  const model::ModelConfig config = model::read_model_config(teacher);
  CLAW_CHECK(config.vocab_size == student.vocab_size, "--teacher ", teacher.string(),
             ": its vocabulary has ", config.vocab_size, " tokens, the student's ",
             student.vocab_size, "; distillation needs the same tokenizer");
  const auto teacher_tokenizer =
      text::load_tokenizer(model_tokenizer_path(teacher, config.vocab_size, ""));
  CLAW_CHECK(text::same_vocabulary(*teacher_tokenizer, tokenizer), "--teacher ", teacher.string(),
             ": its tokenizer is not the student's; distillation needs the same tokenizer");
}

void run(RecoverArgs& args) {
  const OptionTable& table = recover::recovery_option_table();
  recover::RecoveryOptions options =
      recover::recovery_options_from(table.complete(args.flags.values_for("recover", table)));
  options.tokens = args.tokens;
  options.seed = args.seed;
  options.teacher = args.teacher;
  recover::check_recovery_options(options);
  const fs::path input = resolve_model_argument(args.model);
  CLAW_CHECK(!path_within(input, args.output), args.output,
             ": the output would overwrite the input ", input.string());
  check_directory_writable(args.output, args.force);
  // The context, the tokenizer and the training text are checked before any weight is read.
  const model::ModelConfig config = model::read_model_config(input);
  CLAW_CHECK(options.seq_len <= config.max_position_embeddings, "--seq-len ", options.seq_len,
             " is longer than the model's context of ", config.max_position_embeddings);
  const auto tokenizer =
      text::load_tokenizer(model_tokenizer_path(input, config.vocab_size, args.tokenizer));
  std::optional<fs::path> teacher_path;
  if (!args.teacher.empty()) {
    teacher_path = resolve_model_argument(args.teacher);
    options.teacher = teacher_path->string();
    check_teacher(*teacher_path, config, *tokenizer);
  }
  const recover::RecoveryData data = options.tokens > 0
                                         ? recover::prepare_recovery_data(*tokenizer, options)
                                         : recover::RecoveryData{};

  model::LoadOptions load = args.runtime.apply();
  const torch::ScalarType compute = *load.dtype;
  load.dtype.reset();
  model::Model model = model::load_model(input, load);
  const torch::ScalarType stored = model.dtype();
  const std::string base_hash = model::content_hash(model);
  convert_dtype(model, compute);

  Json record = {{"source", {{"path", input.string()}, {"content_hash", base_hash}}},
                 {"settings", recover::recovery_settings(options, args.runtime.dtype)},
                 {"claw_version", CLAW_VERSION}};
  // The teacher runs in the student's compute dtype, beside it in memory.
  std::optional<model::Model> teacher;
  if (teacher_path) {
    teacher = model::load_model(*teacher_path, {load.device, compute});
    record["teacher"] = {{"path", teacher_path->string()},
                         {"content_hash", model::cached_content_hash(*teacher_path)}};
  }
  record.update(recover::train_recovery(model, data, options, teacher ? &*teacher : nullptr));
  teacher.reset();

  model::SaveOptions save;
  save.dtype = stored;
  save.replace = args.force;
  add_companion_files(save, input, model.config.vocab_size, args.tokenizer);
  save.generated_files.emplace_back("recovery.json", record.dump(2) + "\n");
  const bool has_adapters = !options.full && options.tokens > 0;
  if (has_adapters) {
    save.write_more = [&](const fs::path& staging) {
      fs::create_directories(staging / "adapter");
      recover::save_peft_adapter(model, options.lora, staging / "adapter", input.string());
    };
  }
  torch::NoGradGuard no_grad;
  // The copy shares tensors with `model`; merging writes the adapted weights in place (no second
  // copy of the model) and drops the copy's adapter pointers, leaving `model`'s adapters for
  // write_more to save.
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
  cmd->add_option("--tokens", args->tokens,
                  "D: loss-bearing tokens to train on (0: copy the model)")
      ->required();
  cmd->add_option("--out", args->output, "HF directory to create")->required();
  cmd->add_flag("--force", args->force, "replace the output directory if it exists");
  args->flags.add(*cmd, "", recover::recovery_option_table());
  cmd->add_option("--seed", args->seed, "random seed")->capture_default_str();
  cmd->add_option("--tokenizer", args->tokenizer, "tokenizer (default: the one beside the model)");
  cmd->add_option("--teacher", args->teacher,
                  "distil from this model (usually the uncompressed base; the same tokenizer), "
                  "as the --kd-* options say");
  args->runtime.add_to(*cmd);
  cmd->callback([args] { run(*args); });
}

}  // namespace claw::cli
