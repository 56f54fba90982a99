// claw convert IN OUT: llama2.c or HF checkpoint → HF directory, optionally changing dtype.
#include <filesystem>
#include <optional>

#include "cli/command.h"
#include "cli/runtime_flags.h"
#include "core/atomic_file.h"
#include "core/error.h"
#include "core/log.h"
#include "model/load.h"
#include "model/runtime.h"
#include "model/save.h"

namespace claw::cli {
namespace fs = std::filesystem;
namespace {

struct ConvertArgs {
  std::string input, output, dtype, tokenizer;
  bool force = false;
};

void run(const ConvertArgs& args) {
  const fs::path input = resolve_model_argument(args.input);
  const fs::path output = args.output;
  CLAW_CHECK(!path_within(input, output), output.string(),
             ": the output would overwrite the input ", input.string());
  const model::Model model = model::load_model(input);
  model::SaveOptions options;
  if (!args.dtype.empty()) options.dtype = model::parse_dtype(args.dtype);
  options.replace = args.force;
  add_companion_files(options, input, model.config.vocab_size, args.tokenizer);
  model::save_model(model, output, options);
  log::info("wrote ", output.string(), " (", model::architecture_name(model.config.architecture),
            ", ", model::dtype_flag_name(options.dtype.value_or(model.dtype())), ")");
}

}  // namespace

void register_convert(CLI::App& app) {
  auto args = std::make_shared<ConvertArgs>();
  CLI::App* cmd = app.add_subcommand(
      "convert", "Write a llama2.c or HF checkpoint as a HF directory (optionally another dtype)");
  cmd->add_option("input", args->input, "llama2.c .bin checkpoint, GGUF file or HF directory")
      ->required();
  cmd->add_option("output", args->output, "HF directory to create")->required();
  add_out_dtype_flag(*cmd, args->dtype, "dtype written: f32, bf16 or f16 (default: as input)");
  cmd->add_option("--tokenizer", args->tokenizer,
                  "tokenizer to store with the model (default: the one found beside the input)");
  cmd->add_flag("--force", args->force, "replace OUTPUT if it exists");
  cmd->callback([args] { run(*args); });
}

}  // namespace claw::cli
