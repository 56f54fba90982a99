// claw compress: structured pruning of a model at ratio r, written as a HF directory with a
// compression.json that records what was done.
#include <cstdio>
#include <filesystem>

#include "cli/command.h"
#include "cli/runtime_flags.h"
#include "compress/compression.h"
#include "compress/slicegpt_calibration.h"
#include "core/atomic_file.h"
#include "core/error.h"
#include "core/format.h"
#include "core/log.h"
#include "core/stopwatch.h"
#include "data/corpus.h"
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
  double ratio = -1;
  compress::MethodOptions options;
  compress::CalibrationSettings calibration;  // slicegpt's
  RuntimeFlags runtime;
  bool force = false;
};

// "stories260K-prunenet-r0.5" beside the current directory when --out is not given.
fs::path default_output(const fs::path& input, const CompressArgs& args) {
  char ratio[32];
  std::snprintf(ratio, sizeof ratio, "%g", args.ratio);
  return concat(input.stem().string(), "-", args.method, "-r", ratio);
}

void check_outputs(const CompressArgs& args, const fs::path& input, const fs::path& output) {
  CLAW_CHECK(!path_within(input, output), output.string(),
             ": the output would overwrite the input ", input.string());
  check_directory_writable(output, args.force);
  if (!args.options.prunenet.policy_out.empty()) {
    check_file_writable(args.options.prunenet.policy_out);
  }
}

void report(const Json& record, const fs::path& output) {
  const Json& p = record["parameters"];
  log::info("wrote ", output.string(), ": ", record["method"].get<std::string>(),
            " at r = ", record["ratio"].get<double>(), " removed ",
            with_commas(p["before"]["total"].get<std::int64_t>() -
                        p["after"]["total"].get<std::int64_t>()),
            " of ", with_commas(p["before"]["total"].get<std::int64_t>()), " parameters (",
            100 * p["fraction_removed"]["total"].get<double>(), "%; ",
            100 * p["fraction_removed"]["without_embeddings"].get<double>(),
            "% without embeddings)");
}

void run(CompressArgs& args) {
  compress::check_ratio(args.ratio);
  compress::check_method_name(args.method);
  const fs::path input = resolve_model_argument(args.model);
  const fs::path output = args.output.empty() ? default_output(input, args) : fs::path(args.output);
  check_outputs(args, input, output);

  const Stopwatch load_time;
  model::Model model = model::load_model(input, args.runtime.apply_placement());
  const double load_seconds = load_time.seconds();
  const std::string source_hash = model::content_hash(model);
  if (args.method == "slicegpt") {
    const auto tokenizer =
        text::load_tokenizer(model_tokenizer_path(input, model.config.vocab_size, args.tokenizer));
    compress::prepare_slicegpt_calibration(args.options.slicegpt, args.calibration, *tokenizer,
                                           model.config, args.options.seed);
  }
  const std::unique_ptr<compress::CompressionMethod> method =
      compress::make_method(args.method, args.options);
  log::info("loaded ", input.string(), " in ", load_seconds, " s; compressing with ",
            method->name(), " at r = ", args.ratio);

  Json record = compress::compress_model(model, *method, args.ratio);
  record["source"] = {{"path", input.string()}, {"content_hash", source_hash}};
  record["claw_version"] = CLAW_VERSION;
  record["timings"] = {{"load_s", load_seconds}, {"compress_s", record["seconds"]}};
  log::info(method->name(), " took ", record["seconds"].get<double>(), " s");

  const Stopwatch save_time;
  model::SaveOptions save;
  if (!args.dtype.empty()) save.dtype = model::parse_dtype(args.dtype);
  save.replace = args.force;
  save.extra_files = companion_files(input, model.config.vocab_size, args.tokenizer);
  save.generated_files.emplace_back("compression.json", record.dump(2) + "\n");
  model::save_model(model, output, save);
  log::debug("saved in ", save_time.seconds(), " s");
  report(record, output);
}

}  // namespace

void register_compress(CLI::App& app) {
  auto args = std::make_shared<CompressArgs>();
  CLI::App* cmd =
      app.add_subcommand("compress", "Compress a model at ratio r and write it as a HF directory");
  cmd->add_option("--model", args->model, "HF directory, llama2.c checkpoint or model name")
      ->required();
  cmd->add_option("--method", args->method, "one of: " + compress::method_names_help())->required();
  cmd->add_option("--ratio", args->ratio,
                  "fraction in [0, 1) removed: of each layer's FFN channels (random, "
                  "magnitude, prunenet) or of the hidden dimension (slicegpt)")
      ->required();
  cmd->add_option("--seed", args->options.seed, "random seed")->capture_default_str();
  cmd->add_option("--out", args->output,
                  "HF directory to create (default: MODEL-METHOD-rRATIO here)");
  cmd->add_flag("--force", args->force, "replace the output directory if it exists");
  cmd->add_option("--dtype", args->dtype, "stored dtype: f32, bf16 or f16 (default: as input)");
  cmd->add_option("--tokenizer", args->tokenizer,
                  "tokenizer to store with the model (default: the one found beside the input)");
  compress::PruneNetOptions& prunenet = args->options.prunenet;
  cmd->add_option("--episodes", prunenet.episodes, "prunenet: policy training episodes")
      ->capture_default_str();
  cmd->add_option("--lr", prunenet.learning_rate, "prunenet: AdamW learning rate")
      ->capture_default_str();
  cmd->add_option("--policy-in", prunenet.policy_in,
                  "prunenet: reuse this trained policy instead of training one");
  cmd->add_option("--policy-out", prunenet.policy_out,
                  "prunenet: save the policy, for any model of the same shapes and any ratio");
  cmd->add_option("--calib", args->calibration.corpus,
                  "slicegpt: calibration text (" + data::corpus_names_help() + ")");
  cmd->add_option("--calib-samples", args->calibration.samples, "slicegpt: calibration sequences")
      ->capture_default_str();
  cmd->add_option("--calib-len", args->calibration.length,
                  "slicegpt: tokens per calibration sequence (default: 2048, or the context)");
  cmd->add_option("--calib-batch", args->options.slicegpt.batch,
                  "slicegpt: calibration sequences per forward pass")
      ->capture_default_str();
  cmd->add_option("--round", args->options.slicegpt.round,
                  "slicegpt: round the kept hidden width down to a multiple of this")
      ->capture_default_str();
  cmd->add_option("--final-orientation", args->calibration.orientation,
                  "slicegpt: pca, or random (a random rotation within the kept directions)")
      ->capture_default_str();
  args->runtime.add_placement_to(*cmd);
  cmd->callback([args] {
    CLAW_CHECK(args->method == "prunenet" || (args->options.prunenet.policy_in.empty() &&
                                              args->options.prunenet.policy_out.empty()),
               "--policy-in and --policy-out belong to --method prunenet");
    CLAW_CHECK(args->method == "slicegpt" || args->calibration.corpus.empty(),
               "--calib belongs to --method slicegpt; ", args->method, " needs no data");
    run(*args);
  });
}

}  // namespace claw::cli
