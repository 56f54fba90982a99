// claw_compress_bench: how long compression takes, per method and per stage, on a randomly
// initialised model of a real shape (PruneNet's paper: about 15 minutes for LLaMA-2-7B on a GPU).
//
//   claw_compress_bench [--preset qwen2.5-0.5b] [--methods random,magnitude,prunenet]
//                       [--ratio 0.5] [--episodes 20] [--dtype bf16] [--reps 1] [--threads 0]
//                       [--json] [-q]
//
// Each repetition compresses a fresh copy of the model; figures are the median and [min, max]
// over --reps. PruneNet's stages: the spectra of the original FFN1 matrices, policy training,
// and the final selection with its comparison against random selections.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <string>
#include <vector>

#include "bench_support.h"
#include "compress/compression.h"
#include "core/allocator.h"
#include "core/error.h"
#include "core/json.h"
#include "core/log.h"
#include "model/presets.h"
#include "model/runtime.h"

namespace {

using claw::Json;

struct Options {
  std::string preset = "qwen2.5-0.5b", dtype = "bf16";
  std::vector<std::string> methods = {"random", "magnitude", "prunenet"};
  double ratio = 0.5;
  std::int64_t episodes = 20;
  claw::bench::RunFlags run{1};
};

Json measure(const Options& o, const claw::model::Model& original, const std::string& method_name) {
  claw::compress::MethodOptions options;
  options.prunenet.episodes = o.episodes;
  std::vector<double> totals;
  Json stages = Json::object();
  for (int rep = 0; rep < o.run.reps; ++rep) {
    claw::model::Model model = original;  // the pruned layers replace tensors, never edit them
    const auto method = claw::compress::make_method(method_name, options);
    const Json record = claw::compress::compress_model(model, *method, o.ratio);
    totals.push_back(record["seconds"].get<double>());
    if (record["details"].contains("timings")) {
      for (const auto& [stage, seconds] : record["details"]["timings"].items()) {
        stages[stage].push_back(seconds.get<double>());
      }
    }
  }
  Json result = {{"method", method_name}, {"seconds", claw::bench::spread(totals).json()}};
  for (const auto& [stage, values] : stages.items()) {
    result["stages"][stage] = claw::bench::spread(values.get<std::vector<double>>()).json();
  }
  return result;
}

void print_human(const Json& r) {
  const Json& s = r["seconds"];
  std::printf("%-10s %9.2f s  [%.2f, %.2f]\n", r["method"].get<std::string>().c_str(),
              s["median"].get<double>(), s["min"].get<double>(), s["max"].get<double>());
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
  app.add_option("--dtype", o.dtype, "stored dtype of the model")->capture_default_str();
  o.run.add_to(app);
  CLI11_PARSE(app, argc, argv);

  try {
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
  } catch (const claw::Error& e) {
    std::fprintf(stderr, "claw_compress_bench: %s\n", e.what());
    return 1;
  }
  return 0;
}
