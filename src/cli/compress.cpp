// claw compress: structured pruning of a model at ratio r, written as a HF directory with a
// compression.json that records what was done.
#include <cstdio>
#include <filesystem>

#include "cli/command.h"
#include "cli/option_flags.h"
#include "cli/runtime_flags.h"
#include "compress/compression.h"
#include "compress/parameter_target.h"
#include "core/allocator.h"
#include "core/atomic_file.h"
#include "core/error.h"
#include "core/format.h"
#include "core/log.h"
#include "model/content_hash.h"
#include "model/load.h"
#include "model/runtime.h"
#include "model/save.h"
#include "text/load_tokenizer.h"

namespace claw::cli {
namespace fs = std::filesystem;
namespace {

struct CompressArgs {
  std::string model, method, output, dtype, tokenizer;
  std::optional<double> ratio, target_params;
  std::uint64_t seed = 0;
  OptionFlags method_flags;
  RuntimeFlags runtime;
  bool force = false;
};

// "stories260K-prunenet-r0.5" beside the current directory when --out is not given.
fs::path default_output(const fs::path& input, const CompressArgs& args) {
  char ratio[32];
  std::snprintf(ratio, sizeof ratio, "%g", *args.ratio);
  return concat(input.stem().string(), "-", args.method, "-r", ratio);
}

void check_outputs(const CompressArgs& args, const compress::MethodInfo& method,
                   const Json& options, const fs::path& input, const fs::path& output) {
  CLAW_CHECK(!path_within(input, output), output.string(),
             ": the output would overwrite the input ", input.string());
  check_directory_writable(output, args.force);
  for (const OptionSpec& spec : method.options.specs()) {
    const Json& file = options.at(spec.name);
    if (spec.output_file && !file.get<std::string>().empty()) {
      check_file_writable(file.get<std::string>());
    }
  }
}

void report(const Json& record, const fs::path& output) {
  const Json& p = record["parameters"];
  const compress::FractionRemoved removed = compress::FractionRemoved::of_record(record);
  log::info("wrote ", output.string(), ": ", record["method"].get<std::string>(),
            " at r = ", record["ratio"].get<double>(), " removed ",
            with_commas(p["before"]["total"].get<std::int64_t>() -
                        p["after"]["total"].get<std::int64_t>()),
            " of ", with_commas(p["before"]["total"].get<std::int64_t>()), " parameters (",
            100 * removed.total, "%; ", 100 * removed.without_embeddings, "% without embeddings)");
}

void run(CompressArgs& args) {
  CLAW_CHECK(args.ratio || args.target_params, "give --ratio or --target-params");
  const compress::MethodInfo& info = compress::method_info(args.method);
  const Json options = info.options.complete(args.method_flags.values_for(info.name, info.options));
  const fs::path input = resolve_model_argument(args.model);
  const model::ModelConfig config = model::read_model_config(input);
  if (args.target_params) {
    const compress::ParameterTarget target =
        compress::ratio_for_parameters(info, config, options, *args.target_params);
    log::info("--target-params ", *args.target_params, ": ", info.name, " at r = ", target.ratio,
              " removes ", significant(100 * target.achieved, 4),
              "% of the non-embedding parameters");
    args.ratio = target.ratio;
  }
  compress::check_ratio(*args.ratio);
  const fs::path output = args.output.empty() ? default_output(input, args) : fs::path(args.output);
  check_outputs(args, info, options, input, output);
  // Only calibration text needs the tokenizer; a model stored without one still compresses. It
  // is read before the weights, so that a missing or mismatched one fails at once.
  std::unique_ptr<text::Tokenizer> tokenizer;
  if (info.needs_calibration()) {
    tokenizer =
        text::load_tokenizer(model_tokenizer_path(input, config.vocab_size, args.tokenizer));
  }

  model::SaveOptions save;
  if (!args.dtype.empty()) save.dtype = model::parse_dtype(args.dtype);
  save.replace = args.force;
  add_companion_files(save, input, config.vocab_size, args.tokenizer);
  const model::LoadOptions load = args.runtime.apply_placement();
  return_freed_memory();
  log::info("compressing ", input.string(), " with ", info.name, " at r = ", *args.ratio,
            ", one layer at a time");
  const compress::CompressionContext context{args.seed, load.device, tokenizer.get(),
                                             model::cached_content_hash(input)};
  const Json record = compress::write_compressed_model({info.name, options, *args.ratio, input},
                                                       context, load, save, output);
  log::info(info.name, " took ", record["seconds"].get<double>(),
            " s, reading and writing included");
  report(record, output);
}

}  // namespace

void register_compress(CLI::App& app) {
  auto args = std::make_shared<CompressArgs>();
  CLI::App* cmd =
      app.add_subcommand("compress", "Compress a model at ratio r and write it as a HF directory");
  cmd->add_option("--model", args->model,
                  "HF directory, llama2.c checkpoint, GGUF file or model name")
      ->required();
  cmd->add_option("--method", args->method, "one of: " + compress::method_names_help())->required();
  CLI::Option* ratio =
      cmd->add_option("--ratio", args->ratio, "in [0, 1): " + compress::ratio_meanings_help());
  CLI::Option* target = cmd->add_option(
      "--target-params", args->target_params,
      "in (0, 1): the fraction of non-embedding parameters to remove; the method's own ratio is "
      "solved for, to within one structural step");
  ratio->excludes(target);
  cmd->add_option("--seed", args->seed, "random seed")->capture_default_str();
  cmd->add_option("--out", args->output,
                  "HF directory to create (default: MODEL-METHOD-rRATIO here)");
  cmd->add_flag("--force", args->force, "replace the output directory if it exists");
  add_out_dtype_flag(*cmd, args->dtype, "dtype written: f32, bf16 or f16 (default: as input)");
  cmd->add_option("--tokenizer", args->tokenizer,
                  "tokenizer to store with the model (default: the one found beside the input)");
  for (const compress::MethodInfo& m : compress::registered_methods()) {
    args->method_flags.add(*cmd, m.name, m.options);
  }
  args->runtime.add_placement_to(*cmd);
  cmd->callback([args] { run(*args); });
}

}  // namespace claw::cli
