#include "bench/llama_cpp_speed.h"

#include <unistd.h>

#include <algorithm>
#include <string>
#include <vector>

#include "bench/statistics.h"
#include "bench/work.h"
#include "core/error.h"
#include "core/format.h"
#include "core/option_table.h"
#include "core/progress.h"
#include "core/subprocess.h"
#include "core/temporary_directory.h"
#include "io/gguf.h"
#include "model/runtime.h"

namespace claw::bench {
namespace fs = std::filesystem;
namespace {

// One model as the driver runs it.
struct ExportedModel {
  fs::path file;
  Json description;                    // the GGUF side of the record
  std::int64_t decode_bytes_read = 0;  // per token, the padding left out
};

// Exported without a vocabulary (tokenizer.ggml.model "none": llama.cpp then takes the vocabulary
// size from the architecture's key): the driver feeds random token ids, which the speed does
// not depend on.
ExportedModel export_for_llama_cpp(const BenchedModel& m, const LlamaCppOptions& o,
                                   const fs::path& file) {
  model::GgufExportOptions options;
  options.dtype = o.dtype;
  options.name = m.role;
  model::GgufExport out = model::gguf_export(*m.model, options);
  out.metadata.emplace_back("tokenizer.ggml.model", io::GgufValue::string("none"));
  io::write_gguf(file, out.metadata, out.tensors);
  // A step reads every tensor but the token embedding, of which it reads one row, unless the
  // embedding is also the LM head.
  std::int64_t read = static_cast<std::int64_t>(out.data_bytes - out.padding_bytes());
  const auto named = [&](const char* name) {
    return std::find_if(out.tensors.begin(), out.tensors.end(),
                        [&](const io::GgufTensorEntry& t) { return t.name == name; });
  };
  if (named("output.weight") != out.tensors.end()) {
    const io::GgufTensorEntry& embedding = *named("token_embd.weight");
    read -= static_cast<std::int64_t>(io::ggml_nbytes(embedding.type, embedding.dims));
  }
  Json description = {{"architecture", out.plan.layout.info().name},
                      {"type", model::gguf_dtype_name(o.dtype)},
                      {"tensor_bytes", out.data_bytes},
                      {"padding_bytes", out.padding_bytes()},
                      {"decode_bytes_per_token", read}};
  return {file, std::move(description), read};
}

struct DriverRun {
  double prefill_tokens_per_s = 0;
  double decode_tokens_per_s = 0;
};

DriverRun run_driver(const LlamaCppOptions& o, const fs::path& file, std::int64_t prompt,
                     const SpeedOptions& speed, int threads) {
  std::vector<std::string> argv = {o.driver.string(), "bench", file.string()};
  // One timed repetition per call: the caller alternates the models call by call.
  for (const auto& [flag, value] : {std::pair<const char*, std::int64_t>{"--threads", threads},
                                    {"--prefill", prompt},
                                    {"--prompt", prompt},
                                    {"--decode", speed.decode},
                                    {"--reps", 1},
                                    {"--seed", static_cast<std::int64_t>(speed.seed)}}) {
    argv.insert(argv.end(), {flag, std::to_string(value)});
  }
  const CommandOutput result = run_command(argv);
  CLAW_CHECK(result.exit_code == 0, "llama.cpp could not run ", file.filename().string(), ": ",
             result.last_line());
  const Json record = parse_json(result.last_line(), o.driver.string());
  return {record.at("prefill").at(0).at("tokens_per_s").at(0).get<double>(),
          record.at("decode").at("tokens_per_s").at(0).get<double>()};
}

}  // namespace

fs::path llama_cpp_driver() {
  std::error_code error;
  const fs::path self = fs::read_symlink("/proc/self/exe", error);
  const fs::path driver = self.parent_path() / "llama_cpp_driver";
  CLAW_CHECK(!error && access(driver.c_str(), X_OK) == 0,
             "llama.cpp is not available: llama_cpp_driver is not built beside claw (run "
             "scripts/setup.sh, which installs llama.cpp, then rebuild)");
  return driver;
}

void check_llama_cpp_speed_options(const SpeedOptions& options) {
  for (const std::int64_t batch : options.batches) {
    if (batch != 1) {
      throw OptionError("batch", concat("llama.cpp is measured at batch 1 only, not ", batch));
    }
  }
}

Json compare_speed_in_llama_cpp(const std::vector<BenchedModel>& models, const SpeedOptions& o,
                                const LlamaCppOptions& l) {
  CLAW_CHECK(models.size() == 1 || models.size() == 2,
             "compare_speed_in_llama_cpp takes one or two models");
  check_llama_cpp_speed_options(o);
  for (const BenchedModel& m : models) {
    check_speed_options(o, m.model->config);
    CLAW_CHECK(m.model->device().is_cpu(), "llama.cpp is measured on the CPU; drop --device");
  }
  const int idle_before = model::idle_cores();
  const int threads = l.threads > 0 ? l.threads : idle_before;

  const TemporaryDirectory scratch("claw-bench-");
  std::vector<ExportedModel> exported;
  Json record = {{"engine", kLlamaCppEngine},
                 {"device", "cpu"},
                 {"threads", threads},
                 {"decode", o.decode},
                 {"reps", o.reps},
                 {"warmup", 1},
                 {"seed", o.seed},
                 {"models", Json::object()},
                 {"settings", Json::array()}};
  for (const BenchedModel& m : models) {
    exported.push_back(export_for_llama_cpp(m, l, scratch / (m.role + ".gguf")));
    record["models"][m.role] = describe_benched_model(m, *m.model);
    record["models"][m.role]["gguf"] = exported.back().description;
  }

  Progress progress("bench", static_cast<std::int64_t>(o.prompts.size() * models.size()) * o.reps,
                    "llama.cpp runs");
  int idle_least = idle_before;
  for (const std::int64_t prompt : o.prompts) {
    std::vector<GenerationRuns> runs(models.size());
    for (int rep = 0; rep < o.reps; ++rep) {
      for (std::size_t i = 0; i < models.size(); ++i) {
        progress.set_detail(concat("prefill ", prompt, ": ", models[i].role));
        // Between calls nothing of ours runs: whatever else does competes with the driver.
        idle_least = std::min(idle_least, model::idle_cores());
        const DriverRun run = run_driver(l, exported[i].file, prompt, o, threads);
        runs[i].prefill_tokens_per_s.push_back(run.prefill_tokens_per_s);
        runs[i].first_token_ms.push_back(1e3 * static_cast<double>(prompt) /
                                         run.prefill_tokens_per_s);
        runs[i].decode_tokens_per_s.push_back(run.decode_tokens_per_s);
        progress.advance(1);
      }
    }
    Json setting = {{"batch", 1}, {"prefill", prompt}};
    for (std::size_t i = 0; i < models.size(); ++i) setting[models[i].role] = runs[i].figures();
    if (models.size() == 2) {
      const double decode_ideal = static_cast<double>(exported[0].decode_bytes_read) /
                                  static_cast<double>(exported[1].decode_bytes_read);
      setting["speedup"] = {
          {"prefill", speedup_against_ideal(
                          runs[1].prefill_tokens_per_s, runs[0].prefill_tokens_per_s,
                          ideal_prefill_speedup(*models[0].model, *models[1].model, prompt))},
          {"decode", speedup_against_ideal(runs[1].decode_tokens_per_s, runs[0].decode_tokens_per_s,
                                           decode_ideal)}};
    }
    record["settings"].push_back(std::move(setting));
  }
  progress.finish();
  record["idle_cores"] = idle_least;
  if (idle_least < threads) {
    record["busy"] = concat("only ", idle_least, " of the ", threads,
                            " threads' cores were idle at times: llama.cpp's spinning worker "
                            "threads make its figures unreliable on a busy machine");
  }
  return record;
}

}  // namespace claw::bench
