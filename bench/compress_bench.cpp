// claw_compress_bench: how long compression takes, per method and per stage, on a randomly
// initialised model of a real shape (PruneNet's paper: about 15 minutes for LLaMA-2-7B on a GPU;
// SliceGPT's: 44 minutes for LLaMA-2-7B on an H100).
//
//   claw_compress_bench [--preset qwen2.5-0.5b] [--methods random,magnitude,prunenet,slicegpt]
//                       [--ratio 0.5] [--episodes 20] [--calib-samples 128] [--calib-len 2048]
//                       [--calib-batch 16] [--dtype bf16] [--reps 1] [--threads 0] [--json] [-q]
//
// Each repetition compresses a fresh copy of the model; figures are the median and [min, max]
// over --reps. PruneNet's stages: the spectra of the original FFN1 matrices, policy training,
// and the final selection with its comparison against random selections. SliceGPT calibrates
// on random tokens (the weights are random too) and is set beside the bare forward passes over
// the same tokens, the least any calibration-based method must spend; its target is 2x.
#include <ATen/CPUGeneratorImpl.h>
#include <CLI/CLI.hpp>

#include <cstdio>
#include <string>
#include <vector>

#include "bench_support.h"
#include "cli/run_main.h"
#include "compress/compression.h"
#include "compress/slicegpt.h"
#include "core/allocator.h"
#include "core/error.h"
#include "core/json.h"
#include "core/log.h"
#include "model/decoder.h"
#include "model/presets.h"
#include "model/runtime.h"

namespace {

using claw::Json;

struct Options {
  std::string preset = "qwen2.5-0.5b", dtype = "bf16";
  std::vector<std::string> methods = {"random", "magnitude", "prunenet"};
  double ratio = 0.5;
  std::int64_t episodes = 20;
  std::int64_t calib_samples = 128, calib_len = 2048, calib_batch = 16;
  claw::bench::RunFlags run{1};
};

std::vector<std::vector<std::int32_t>> random_calibration(const Options& o, std::int64_t vocab) {
  at::Generator generator = at::detail::createCPUGenerator(1);
  const torch::Tensor tokens =
      at::randint(vocab, {o.calib_samples, o.calib_len}, generator, torch::kInt).contiguous();
  std::vector<std::vector<std::int32_t>> sequences;
  for (std::int64_t i = 0; i < o.calib_samples; ++i) {
    const std::int32_t* row = tokens.data_ptr<std::int32_t>() + i * o.calib_len;
    sequences.emplace_back(row, row + o.calib_len);
  }
  return sequences;
}

// Seconds for the forward passes over the calibration tokens, without the head, in batches of
// --calib-batch: what calibration cannot do without. One untimed batch first, so that neither
// side pays for the allocator's first touch of its buffers.
double bare_forward_seconds(const Options& o, const claw::model::Model& model,
                            const std::vector<std::vector<std::int32_t>>& sequences) {
  torch::NoGradGuard no_grad;
  claw::model::final_hidden_states(
      model, torch::zeros({std::min(o.calib_batch, o.calib_samples), o.calib_len}, torch::kLong));
  const auto start = claw::bench::Clock::now();
  for (std::int64_t first = 0; first < o.calib_samples; first += o.calib_batch) {
    const std::int64_t size = std::min(o.calib_batch, o.calib_samples - first);
    torch::Tensor tokens = torch::empty({size, o.calib_len}, torch::kLong);
    for (std::int64_t i = 0; i < size; ++i) {
      tokens[i].copy_(torch::tensor(sequences[static_cast<std::size_t>(first + i)], torch::kInt));
    }
    claw::model::final_hidden_states(model, tokens);
  }
  return claw::bench::seconds_since(start);
}

Json measure(const Options& o, const claw::model::Model& original, const std::string& method_name) {
  claw::compress::SliceGptOptions slicegpt;
  std::vector<double> bare;
  if (method_name == "slicegpt") {
    slicegpt.calibration = {random_calibration(o, original.config.vocab_size), "random tokens",
                            o.calib_batch};
  }
  std::vector<double> totals;
  Json stages = Json::object();
  for (int rep = 0; rep < o.run.reps; ++rep) {
    if (method_name == "slicegpt") {
      claw::log::info("bare forward passes over the calibration tokens");
      bare.push_back(bare_forward_seconds(o, original, slicegpt.calibration.sequences));
    }
    claw::model::Model model = original;  // compression replaces tensors, never edits them
    // Random tokens calibrate SliceGPT here, so it is built directly, not from a corpus.
    const std::unique_ptr<claw::compress::CompressionMethod> method =
        method_name == "slicegpt"
            ? std::make_unique<claw::compress::SliceGpt>(slicegpt)
            : claw::compress::make_method(
                  method_name,
                  method_name == "prunenet" ? Json{{"episodes", o.episodes}} : Json::object(), {},
                  original.config);
    const Json record = claw::compress::compress_model(model, *method, o.ratio);
    totals.push_back(record["seconds"].get<double>());
    if (record["details"].contains("timings")) {
      for (const auto& [stage, seconds] : record["details"]["timings"].items()) {
        stages[stage].push_back(seconds.get<double>());
      }
    }
  }
  Json result = {{"method", method_name}, {"seconds", claw::bench::spread(totals).json()}};
  if (!bare.empty()) {
    std::vector<double> ratios;
    for (std::size_t i = 0; i < bare.size(); ++i) ratios.push_back(totals[i] / bare[i]);
    result["bare_forward_seconds"] = claw::bench::spread(bare).json();
    result["ratio_to_bare_forward"] = claw::bench::spread(ratios).json();
    result["calibration_tokens"] = o.calib_samples * o.calib_len;
  }
  for (const auto& [stage, values] : stages.items()) {
    result["stages"][stage] = claw::bench::spread(values.get<std::vector<double>>()).json();
  }
  return result;
}

void print_human(const Json& r) {
  const Json& s = r["seconds"];
  std::printf("%-10s %9.2f s  [%.2f, %.2f]\n", r["method"].get<std::string>().c_str(),
              s["median"].get<double>(), s["min"].get<double>(), s["max"].get<double>());
  if (r.contains("bare_forward_seconds")) {
    std::printf("  %-12s %9.2f s  (%lld calibration tokens)\n", "bare forward",
                r["bare_forward_seconds"]["median"].get<double>(),
                r["calibration_tokens"].get<long long>());
    std::printf("  %-12s %9.2fx  (target <= 2x)\n", "ratio",
                r["ratio_to_bare_forward"]["median"].get<double>());
  }
  if (!r.contains("stages")) return;
  for (const auto& [stage, t] : r["stages"].items()) {
    std::printf("  %-12s %9.2f s\n", stage.c_str(), t["median"].get<double>());
  }
}

}  // namespace

int main(int argc, char** argv) {
  claw::keep_freed_memory();
  CLI::App app{"claw_compress_bench: compression time per method and stage"};
  Options o;
  app.add_option("--preset", o.preset, "model shape (random weights)")->capture_default_str();
  app.add_option("--methods", o.methods, "methods to time")->delimiter(',')->capture_default_str();
  app.add_option("--ratio", o.ratio, "compression ratio")->capture_default_str();
  app.add_option("--episodes", o.episodes, "PruneNet training episodes")->capture_default_str();
  app.add_option("--calib-samples", o.calib_samples, "SliceGPT calibration sequences")
      ->capture_default_str();
  app.add_option("--calib-len", o.calib_len, "tokens per calibration sequence")
      ->capture_default_str();
  app.add_option("--calib-batch", o.calib_batch, "calibration sequences per forward pass")
      ->capture_default_str();
  app.add_option("--dtype", o.dtype, "stored dtype of the model")->capture_default_str();
  o.run.add_to(app);
  return claw::cli::run_main("claw_compress_bench", app, argc, argv, [&] {
    o.run.apply();
    const claw::model::ModelConfig config = claw::model::preset_config(o.preset);
    const claw::model::Model model =
        claw::model::random_model(config, 0, claw::model::parse_dtype(o.dtype));
    std::printf("%s %s, r = %g, %lld PruneNet episodes, %d rep(s)\n", o.preset.c_str(),
                o.dtype.c_str(), o.ratio, static_cast<long long>(o.episodes), o.run.reps);
    Json results = Json::array();
    for (const std::string& method : o.methods) {
      claw::log::info("timing ", method);
      Json r = measure(o, model, method);
      if (!o.run.json) print_human(r);
      results.push_back(std::move(r));
    }
    if (o.run.json) {
      std::printf("%s\n", Json({{"preset", o.preset},
                                {"dtype", o.dtype},
                                {"ratio", o.ratio},
                                {"episodes", o.episodes},
                                {"results", results}})
                              .dump(2)
                              .c_str());
    }
  });
}
