// claw init --preset NAME OUT: a randomly initialised HF checkpoint with a known model's shapes.
#include <filesystem>

#include "cli/command.h"
#include "cli/runtime_flags.h"
#include "core/error.h"
#include "core/format.h"
#include "core/log.h"
#include "model/presets.h"
#include "model/runtime.h"
#include "model/save.h"
#include "text/load_tokenizer.h"

namespace claw::cli {
namespace fs = std::filesystem;
namespace {

struct InitArgs {
  std::string preset, output, tokenizer, dtype = "bf16";
  std::uint64_t seed = 0;
  bool force = false;
};

void run(const InitArgs& args) {
  const model::ModelConfig config = model::preset_config(args.preset);
  const torch::ScalarType dtype = model::parse_dtype(args.dtype);
  model::SaveOptions options;
  options.replace = args.force;
  if (!args.tokenizer.empty()) options.extra_files = text::tokenizer_files(args.tokenizer);
  const std::int64_t total = model::count_parameters(config).total();
  log::info("initialising ", args.preset, " (", total, " parameters, ",
            model::dtype_flag_name(dtype), ", seed ", args.seed, ")");
  model::write_model_dir(
      config, dtype,
      [&](const model::TensorSpec& spec) { return model::random_tensor(spec, args.seed, dtype); },
      args.output, options);
  log::info("wrote ", args.output);
}

}  // namespace

void register_init(CLI::App& app) {
  auto args = std::make_shared<InitArgs>();
  CLI::App* cmd = app.add_subcommand(
      "init", "Write a randomly initialised HF checkpoint with the real shapes of a known model");
  cmd->add_option("--preset", args->preset, "one of: " + join(model::preset_names()))->required();
  cmd->add_option("output", args->output, "HF directory to create")->required();
  cmd->add_option("--seed", args->seed, "random seed")->capture_default_str();
  add_out_dtype_flag(*cmd, args->dtype, "dtype written: f32, bf16 or f16")->capture_default_str();
  cmd->add_option("--tokenizer", args->tokenizer, "tokenizer file to store with the model");
  cmd->add_flag("--force", args->force, "replace OUTPUT if it exists");
  cmd->callback([args] { run(*args); });
}

}  // namespace claw::cli
