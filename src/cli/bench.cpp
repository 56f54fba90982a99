// claw bench --model M [--base B]: does compression make the model faster? Prefill and decode
// speed, time to first token and memory of M, and of its base B in the same run.
#include <c10/util/Exception.h>

#include <cstdio>
#include <filesystem>

#include "bench/llama_cpp_speed.h"
#include "bench/speed_comparison.h"
#include "bench/work.h"
#include "cli/bench_report.h"
#include "cli/command.h"
#include "cli/runtime_flags.h"
#include "core/error.h"
#include "core/format.h"
#include "core/log.h"
#include "core/system_memory.h"
#include "core/text_file.h"
#include "model/layout.h"
#include "model/load.h"
#include "text/load_tokenizer.h"

namespace claw::cli {
namespace fs = std::filesystem;
namespace {

struct BenchArgs {
  std::string model, base;
  std::string engine = bench::kClawEngine;
  std::string gguf_dtype = "f32";
  bench::SpeedOptions speed;
  bool json = false;
  bool batch_defaulted = true;
  RuntimeFlags runtime;
};

struct ModelToBench {
  std::string role;
  fs::path path;
  model::ModelConfig config;
};

// A speedup means something only against the model that was compressed: the same architecture
// and the same tokenizer, so that both read the same tokens.
void check_comparable(const ModelToBench& base, const ModelToBench& model) {
  const auto& b = base.config;
  const auto& m = model.config;
  CLAW_CHECK(b.architecture == m.architecture, "--base ", base.path.string(), " is a ",
             model::architecture_name(b.architecture), " but --model ", model.path.string(),
             " is a ", model::architecture_name(m.architecture),
             "; compare a compressed model with the model it came from");
  CLAW_CHECK(b.vocab_size == m.vocab_size, "--base ", base.path.string(), " has a vocabulary of ",
             b.vocab_size, " tokens but --model ", model.path.string(), " one of ", m.vocab_size,
             "; they do not share a tokenizer");
  const auto base_tokenizer = text::find_tokenizer_beside(base.path, b.vocab_size);
  const auto model_tokenizer = text::find_tokenizer_beside(model.path, m.vocab_size);
  if (!base_tokenizer || !model_tokenizer) {
    log::warn("cannot check that the models share a tokenizer: ",
              (base_tokenizer ? model : base).path.string(), " has none beside it");
    return;
  }
  CLAW_CHECK(read_text_file(*base_tokenizer) == read_text_file(*model_tokenizer), "--base ",
             base.path.string(), " and --model ", model.path.string(),
             " have different tokenizers (", base_tokenizer->string(), " and ",
             model_tokenizer->string(),
             "); compare a compressed model with the model it came from");
}

// Whether the models fit in the machine's memory together: their weights and the largest
// request's working memory. When they do not but each does alone, they are loaded in turns;
// what would not fit even alone is refused before anything is loaded. LibTorch reports a GPU
// that is too small by itself, as an error rather than a killed process.
bool fit_together(const std::vector<ModelToBench>& models, const model::LoadOptions& load,
                  const bench::SpeedOptions& speed) {
  if (!load.device.is_cpu()) return true;
  const std::optional<std::int64_t> available = available_memory_bytes();
  if (!available) return true;
  std::int64_t weights = 0, working = 0, alone = 0;
  for (const ModelToBench& m : models) {
    const torch::ScalarType dtype = model::loaded_dtype(m.path, load);
    const std::int64_t model_weights = model::weight_bytes(m.config, dtype);
    std::int64_t model_working = 0;
    for (const std::int64_t batch : speed.batches) {
      for (const std::int64_t prompt : speed.prompts) {
        model_working = std::max(
            model_working, bench::generation_working_bytes_estimate(
                               m.config, static_cast<std::int64_t>(c10::elementSize(dtype)), batch,
                               prompt, speed.decode));
      }
    }
    weights += model_weights;
    working = std::max(working, model_working);
    alone = std::max(alone, model_weights + model_working);
  }
  if (weights + working <= *available) return true;
  CLAW_CHECK(alone <= *available, "this needs about ", byte_size(alone),
             " for the larger model alone (weights and the largest request) but the machine has ",
             byte_size(*available),
             " available; lower --batch or --prefill, or use a machine with more memory");
  log::info("the models need about ", byte_size(weights + working), " together but ",
            byte_size(*available), " is available: each is loaded for its turns, one at a time");
  return false;
}

void run(BenchArgs args) {
  const bool llama_cpp = args.engine == bench::kLlamaCppEngine;
  bench::LlamaCppOptions llama_cpp_options;
  if (llama_cpp) {
    const std::optional<model::GgufDtype> dtype = model::parse_gguf_dtype(args.gguf_dtype);
    CLAW_CHECK(dtype.has_value(), "--gguf-dtype must be f32, f16, bf16 or q8_0, not '",
               args.gguf_dtype, "'");
    // The driver decodes one sequence; unless asked otherwise, batch 1 only.
    if (args.batch_defaulted) args.speed.batches = {1};
    bench::check_llama_cpp_speed_options(args.speed);
    llama_cpp_options = {bench::llama_cpp_driver(), *dtype, args.runtime.threads};
  }
  const model::LoadOptions load = args.runtime.apply();
  std::vector<ModelToBench> models;
  if (!args.base.empty()) models.push_back({"base", resolve_model_argument(args.base), {}});
  models.push_back({"model", resolve_model_argument(args.model), {}});
  for (ModelToBench& m : models) m.config = model::read_model_config(m.path);
  if (models.size() == 2) check_comparable(models[0], models[1]);
  for (const ModelToBench& m : models) bench::check_speed_options(args.speed, m.config);
  const bool together = fit_together(models, load, args.speed);
  CLAW_CHECK(together || !llama_cpp,
             "--engine llama.cpp holds both models to export them, and they do not fit in memory "
             "together; --engine claw loads them in turns");

  std::vector<model::Model> loaded;
  loaded.reserve(models.size());
  std::vector<bench::BenchedModel> benched;
  for (const ModelToBench& m : models) {
    if (together) {
      log::info("loading ", m.role, " ", m.path.string());
      loaded.push_back(model::load_model(m.path, load));
      benched.push_back({m.role, m.path.string(), &loaded.back()});
    } else {
      benched.push_back({m.role, m.path.string(), nullptr,
                         [path = m.path, load] { return model::load_model(path, load); }});
    }
  }
  Json record = llama_cpp
                    ? bench::compare_speed_in_llama_cpp(benched, args.speed, llama_cpp_options)
                    : bench::compare_speed(benched, args.speed);
  record["claw_version"] = CLAW_VERSION;
  if (const auto peak = peak_resident_bytes()) record["process_peak_resident_bytes"] = *peak;
  if (args.json) {
    std::printf("%s\n", record.dump(2).c_str());
  } else {
    print_speed_report(record);
  }
}

}  // namespace

void register_bench(CLI::App& app) {
  auto args = std::make_shared<BenchArgs>();
  args->runtime.dtype = kStoredDtype;
  CLI::App* cmd = app.add_subcommand(
      "bench", "Measure prefill and decode speed and memory, against the base model if given");
  cmd->add_option("--model", args->model,
                  "the model to measure (HF directory, llama2.c .bin, GGUF file)")
      ->required();
  cmd->add_option("--base", args->base,
                  "the model it was compressed from, measured in the same run for speedups");
  cmd->add_option("--engine", args->engine,
                  "where to measure: claw (its LibTorch engine) or llama.cpp (both models "
                  "exported to GGUF and run by llama.cpp, batch 1)")
      ->check(CLI::IsMember(std::vector<std::string>(std::begin(bench::kSpeedEngines),
                                                     std::end(bench::kSpeedEngines))))
      ->capture_default_str();
  cmd->add_option("--gguf-dtype", args->gguf_dtype,
                  "llama.cpp: the GGUF tensor type, f32, f16, bf16 or q8_0")
      ->capture_default_str();
  cmd->add_option("--batch", args->speed.batches,
                  "sequences per request, comma-separated (llama.cpp: 1; default 1,8 in claw)")
      ->delimiter(',')
      ->each([args](const std::string&) { args->batch_defaulted = false; });
  cmd->add_option("--prefill", args->speed.prompts, "prompt lengths in tokens, comma-separated")
      ->delimiter(',')
      ->capture_default_str();
  cmd->add_option("--decode", args->speed.decode, "tokens decoded one by one after each prompt")
      ->capture_default_str();
  cmd->add_option("--reps", args->speed.reps, "timed repetitions per model and setting")
      ->capture_default_str();
  cmd->add_option("--warmup", args->speed.warmup, "untimed repetitions before them")
      ->capture_default_str();
  cmd->add_option("--seed", args->speed.seed, "seed of the random prompt tokens")
      ->capture_default_str();
  cmd->add_flag("--json", args->json, "print the results as JSON instead of the table");
  args->runtime.add_to(*cmd);
  cmd->callback([args] { run(*args); });
}

}  // namespace claw::cli
