// claw_llama_cpp_bench: one model in claw and in llama.cpp, on the same machine, the same
// thread count, in alternating rounds (so drift of a shared host hits both alike): prefill
// tokens/s at each --prefill length (logits at the last position only, as generation needs),
// batch-1 decode tokens/s, and claw/llama.cpp per row. Each decode is also given as a fraction of
// the memory-read ceiling of claw_decoder_bench (weight bytes read per token / step time).
//
//   claw_llama_cpp_bench (--model M | --preset qwen2.5-0.5b [--tokenizer T]) [--dtype f32,bf16]
//                        [--gguf FILE]
//                        [--threads 2] [--rounds 2] [--reps 3] [--prefill 128,512]
//                        [--prompt 32] [--decode 64] [--seed 0] [--json] [-q]
//
// claw runs in this process, through model::forward with a KV cache (the path of claw bench and
// claw_decoder_bench); its decode is also timed through LibTorch's operators alone (the row
// "decode, operators"), against the same llama.cpp runs; llama.cpp runs the model exported to GGUF
// by claw export in that dtype
// (--gguf: a given file instead, for one dtype), through llama_cpp_driver, which times its own
// llama_decode calls with llama.cpp's default context settings. A --preset is initialised with
// random weights by claw init. Every round runs each side once untimed, then --reps times.
#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Parallel.h>
#include <torch/types.h>
#include <CLI/CLI.hpp>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <unistd.h>

#include "bench_support.h"
#include "cli/run_main.h"
#include "core/allocator.h"
#include "core/error.h"
#include "core/json.h"
#include "core/log.h"
#include "core/subprocess.h"
#include "model/decoder.h"
#include "model/kv_cache.h"
#include "model/load.h"
#include "model/runtime.h"

namespace {

namespace fs = std::filesystem;
using claw::Json;
using claw::bench::Ceiling;
using claw::bench::Clock;
using claw::bench::seconds_since;
using claw::bench::spread;

struct Options {
  std::string model, preset, tokenizer, gguf;
  std::vector<std::string> dtypes = {"f32", "bf16"};
  std::vector<int> prefill = {128, 512};
  int prompt = 32;
  int decode = 64;
  int rounds = 2;
  claw::bench::RunFlags run{3};
  std::uint64_t seed = 0;
};

void run_or_fail(const std::vector<std::string>& argv) {
  const claw::CommandOutput result = claw::run_command(argv);
  CLAW_CHECK(result.exit_code == 0, argv[0], " ", argv[1], " failed: ", result.last_line());
}

// Tokens/s samples of one tool, per row ("prefill 128", ..., "decode").
using Samples = std::map<std::string, std::vector<double>>;

// claw's decode through its own CPU decode step (model/cpu_decode.h), which model::forward takes
// by itself, and the same steps through LibTorch's operators, the path it replaced; llama.cpp has
// one decode row, which both are compared with.
constexpr const char* kDecodeRow = "decode";
constexpr const char* kOperatorsDecodeRow = "decode, operators";

std::string prefill_row(int n) {
  return "prefill " + std::to_string(n);
}

void claw_round(const claw::model::Model& model, const Options& o, Ceiling& read,
                Samples& samples) {
  namespace m = claw::model;
  at::Generator generator = at::detail::createCPUGenerator(o.seed);
  const auto random_tokens = [&](std::int64_t n) {
    return at::randint(model.config.vocab_size, {1, n}, generator, torch::kInt64);
  };
  m::ForwardOptions last_only;
  last_only.last_position_only = true;
  for (const int n : o.prefill) {
    const torch::Tensor tokens = random_tokens(n);
    for (const double rate : claw::bench::repeat(o.run.reps, read, [&] {
           const auto start = Clock::now();
           m::forward(model, tokens, {}, nullptr, last_only);
           return n / seconds_since(start);
         })) {
      samples[prefill_row(n)].push_back(rate);
    }
  }
  const torch::Tensor prompt = random_tokens(o.prompt);
  m::ForwardOptions operators_only = last_only;
  operators_only.operators_only = true;
  for (const auto& [row, step] :
       {std::pair{kDecodeRow, last_only}, std::pair{kOperatorsDecodeRow, operators_only}}) {
    for (const double rate : claw::bench::repeat(o.run.reps, read, [&] {
           m::KvCache cache(model.config, 1, o.prompt + o.decode, model.device(), model.dtype());
           torch::Tensor logits = m::forward(model, prompt, {}, &cache, last_only);
           const auto start = Clock::now();
           for (int i = 0; i < o.decode; ++i) {
             logits = m::forward(model, logits.argmax(-1), {}, &cache, step);
           }
           return o.decode / seconds_since(start);
         })) {
      samples[row].push_back(rate);
    }
  }
}

// Returns the ggml CPU library llama.cpp loaded.
std::string llama_cpp_round(const std::string& gguf, const Options& o, int threads, Ceiling& read,
                            Samples& samples) {
  std::string prefill;
  for (const int n : o.prefill) prefill += (prefill.empty() ? "" : ",") + std::to_string(n);
  read.sample();
  const claw::CommandOutput result = claw::run_command(
      {CLAW_LLAMA_CPP_DRIVER, "bench", gguf, "--threads", std::to_string(threads), "--prefill",
       prefill, "--prompt", std::to_string(o.prompt), "--decode", std::to_string(o.decode),
       "--reps", std::to_string(o.run.reps), "--seed", std::to_string(o.seed)});
  CLAW_CHECK(result.exit_code == 0, "llama_cpp_driver bench failed: ", result.last_line());
  const Json record = Json::parse(result.out.substr(result.out.find('{')));
  for (const Json& row : record["prefill"]) {
    for (const double rate : row["tokens_per_s"]) {
      samples[prefill_row(row["tokens"].get<int>())].push_back(rate);
    }
  }
  for (const double rate : record["decode"]["tokens_per_s"]) samples[kDecodeRow].push_back(rate);
  return record["cpu_backend"].get<std::string>();
}

Json bench_dtype(const Options& o, const std::string& model_path, const std::string& dtype,
                 const fs::path& scratch, int threads) {
  namespace m = claw::model;
  std::string gguf = o.gguf;
  if (gguf.empty()) {
    gguf = (scratch / ("model." + dtype + ".gguf")).string();
    claw::log::info(dtype, ": claw export to ", gguf);
    run_or_fail({CLAW_BINARY, "export", model_path, gguf, "--out-dtype", dtype});
  }
  m::LoadOptions load;
  load.dtype = m::parse_dtype(dtype);
  at::NoGradGuard no_grad;
  const m::Model model = m::load_model(model_path, load);
  const double bytes_per_token = static_cast<double>(claw::bench::decode_bytes_per_token(model));

  Ceiling read(claw::bench::read_probe());
  Samples ours, theirs;
  std::string cpu_backend;
  for (int round = 0; round < o.rounds; ++round) {
    claw::log::info(dtype, ": round ", round + 1, " of ", o.rounds, ": claw");
    claw_round(model, o, read, ours);
    claw::log::info(dtype, ": round ", round + 1, " of ", o.rounds, ": llama.cpp");
    cpu_backend = llama_cpp_round(gguf, o, threads, read, theirs);
  }
  Json rows = Json::array();
  std::vector<std::string> names;
  for (const int n : o.prefill) names.push_back(prefill_row(n));
  names.insert(names.end(), {kDecodeRow, kOperatorsDecodeRow});
  for (const std::string& name : names) {
    const claw::bench::Spread claw_rate = spread(ours[name]);
    const claw::bench::Spread llama_rate =
        spread(theirs[name == kOperatorsDecodeRow ? kDecodeRow : name]);
    Json row = {{"row", name},
                {"claw_tokens_per_s", claw_rate.json()},
                {"llama_cpp_tokens_per_s", llama_rate.json()},
                {"ratio", claw_rate.median / llama_rate.median}};
    if (name == kDecodeRow || name == kOperatorsDecodeRow) {
      const double to_fraction = bytes_per_token / 1e9 / read.best();
      row["claw_fraction_of_read_ceiling"] = claw_rate.median * to_fraction;
      row["llama_cpp_fraction_of_read_ceiling"] = llama_rate.median * to_fraction;
    }
    rows.push_back(row);
  }
  return {{"dtype", dtype},
          {"gguf", gguf},
          {"llama_cpp_cpu_backend", cpu_backend},
          {"weight_bytes_per_token", bytes_per_token},
          {"read_ceiling_gb_per_s", read.best()},
          {"read_ceiling_samples", read.samples()},
          {"rows", rows}};
}

void print_human(const Json& r) {
  std::printf(
      "%s  (llama.cpp CPU backend %s; read ceiling %.1f GB/s, best of %d; %.3f GB of "
      "weights per decoded token)\n",
      r["dtype"].get<std::string>().c_str(), r["llama_cpp_cpu_backend"].get<std::string>().c_str(),
      r["read_ceiling_gb_per_s"].get<double>(), r["read_ceiling_samples"].get<int>(),
      r["weight_bytes_per_token"].get<double>() / 1e9);
  std::printf("  %-18s %22s %22s %8s\n", "tokens/s", "claw", "llama.cpp", "ratio");
  for (const Json& row : r["rows"]) {
    std::printf("  %-18s %22s %22s %8.2f\n", row["row"].get<std::string>().c_str(),
                claw::bench::spread_text(row["claw_tokens_per_s"], "%.1f").c_str(),
                claw::bench::spread_text(row["llama_cpp_tokens_per_s"], "%.1f").c_str(),
                row["ratio"].get<double>());
    if (row.contains("claw_fraction_of_read_ceiling")) {
      std::printf("  %-18s %21.1f%% %21.1f%%\n", "% of ceiling",
                  100 * row["claw_fraction_of_read_ceiling"].get<double>(),
                  100 * row["llama_cpp_fraction_of_read_ceiling"].get<double>());
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  claw::keep_freed_memory();
  CLI::App app{"claw_llama_cpp_bench: prefill and decode speed of claw against llama.cpp"};
  Options o;
  o.run.threads = 2;
  auto* model = app.add_option("--model", o.model, "HF directory or llama2.c checkpoint");
  app.add_option("--preset", o.preset, "a model shape with random weights (claw init)")
      ->excludes(model);
  app.add_option("--tokenizer", o.tokenizer,
                 "--preset: tokenizer to store with it, for the export");
  app.add_option("--dtype", o.dtypes, "dtypes, comma-separated: f32, bf16")
      ->delimiter(',')
      ->capture_default_str();
  app.add_option("--gguf", o.gguf, "run this GGUF file in llama.cpp instead of exporting one");
  app.add_option("--prefill", o.prefill, "prompt lengths, comma-separated")
      ->delimiter(',')
      ->capture_default_str();
  app.add_option("--prompt", o.prompt, "prompt before decoding (untimed)")->capture_default_str();
  app.add_option("--decode", o.decode, "timed decode steps")->capture_default_str();
  app.add_option("--rounds", o.rounds, "alternating rounds of claw and llama.cpp")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--seed", o.seed, "seed of the weights and tokens")->capture_default_str();
  o.run.add_to(app);
  return claw::cli::run_main("claw_llama_cpp_bench", app, argc, argv, [&] {
    CLAW_CHECK(o.model.empty() != o.preset.empty(), "pass one of --model M and --preset NAME");
    CLAW_CHECK(o.gguf.empty() || o.dtypes.size() == 1, "--gguf goes with a single --dtype");
    o.run.apply();
    const int threads = at::get_num_threads();
    const fs::path scratch =
        fs::temp_directory_path() / ("claw-llama-cpp-bench-" + std::to_string(::getpid()));
    fs::create_directories(scratch);
    std::string model_path = o.model;
    if (!o.preset.empty()) {
      model_path = (scratch / o.preset).string();
      claw::log::info("claw init --preset ", o.preset, " (random weights)");
      std::vector<std::string> init = {CLAW_BINARY,   "init", "--preset", o.preset,
                                       "--out-dtype", "f32",  "--seed",   std::to_string(o.seed),
                                       model_path};
      if (!o.tokenizer.empty()) init.insert(init.end(), {"--tokenizer", o.tokenizer});
      run_or_fail(init);
    }
    if (!o.run.json) {
      std::printf(
          "claw_llama_cpp_bench %s: %s, %d threads, %d rounds of %d reps after 1 warm-up "
          "each; median [min, max]\n",
          CLAW_VERSION, (o.preset.empty() ? o.model : o.preset).c_str(), threads, o.rounds,
          o.run.reps);
    }
    Json results = Json::array();
    for (const std::string& dtype : o.dtypes) {
      std::fflush(stdout);
      results.push_back(bench_dtype(o, model_path, dtype, scratch, threads));
      if (!o.run.json) print_human(results.back());
    }
    fs::remove_all(scratch);
    if (o.run.json) {
      const Json record = {{"bench", "claw_llama_cpp_bench"},
                           {"claw_version", CLAW_VERSION},
                           {"model", o.preset.empty() ? o.model : o.preset},
                           {"threads", threads},
                           {"rounds", o.rounds},
                           {"reps", o.run.reps},
                           {"results", results}};
      std::printf("%s\n", record.dump().c_str());
    }
  });
}
