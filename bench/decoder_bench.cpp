// claw_decoder_bench: prefill and decode speed of claw's decoder on a randomly initialised model
// of a real shape, each reported as a fraction of a ceiling measured in the same run, so the
// figures survive a change of machine (docs/architecture.md, Conventions):
//   prefill: FLOP/s against a large matrix multiply of the same dtype (compute bound);
//   decode:  weight bytes read per second against a streaming read of a large buffer (memory
//            bound at batch 1).
//
//   claw_decoder_bench [--preset qwen2.5-0.5b] [--dtype f32,bf16] [--batch 4] [--seq 512]
//                      [--prompt 32] [--decode-steps 64] [--reps 5] [--threads 0] [--seed 0]
//                      [--json] [-q]
//
// Every measurement runs once untimed first (allocator growth, page faults, oneDNN primitive
// creation), then --reps times; figures are the median and [min, max] over those reps. The
// ceilings are the best of samples taken between those runs.
#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Parallel.h>
#include <torch/types.h>
#include <CLI/CLI.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "bench_support.h"
#include "cli/run_main.h"
#include "core/allocator.h"
#include "core/error.h"
#include "core/json.h"
#include "core/log.h"
#include "model/decoder.h"
#include "model/kv_cache.h"
#include "model/presets.h"
#include "model/runtime.h"

namespace {

using claw::Json;
using claw::bench::Ceiling;
using claw::bench::Clock;
using claw::bench::kReadProbeBytes;
using claw::bench::LogitsAt;
using claw::bench::matmul_probe;
using claw::bench::prefill_flops_per_token;
using claw::bench::read_probe;
using claw::bench::repeat;
using claw::bench::seconds_since;
using claw::bench::Spread;
using claw::bench::spread;
using claw::bench::spread_text;

struct Options {
  std::string preset = "qwen2.5-0.5b";
  std::vector<std::string> dtypes = {"f32", "bf16"};
  std::int64_t batch = 4;
  std::int64_t seq = 512;
  std::int64_t prompt = 32;
  std::int64_t decode_steps = 64;
  claw::bench::RunFlags run{5};
  std::uint64_t seed = 0;
};

Json bench_dtype(const Options& o, torch::ScalarType dtype) {
  namespace m = claw::model;
  const m::ModelConfig config = m::preset_config(o.preset);
  const std::string name = m::dtype_flag_name(dtype);
  CLAW_CHECK(std::max(o.seq, o.prompt + o.decode_steps) <= config.max_position_embeddings,
             "--seq and --prompt + --decode-steps must fit the model's context of ",
             config.max_position_embeddings, " tokens");
  const c10::InferenceMode inference;  // as model::generate() decodes

  claw::log::info(name, ": building random ", o.preset, " weights");
  const m::Model model = m::random_model(config, o.seed, dtype);
  // Which tokens are fed does not change the work; a seeded generator keeps runs identical.
  at::Generator generator = at::detail::createCPUGenerator(o.seed);
  const auto token_options = torch::TensorOptions().dtype(torch::kInt64);

  claw::log::info(name, ": prefill of ", o.batch, " x ", o.seq, " tokens, ", o.run.reps, " reps");
  const std::int64_t matmul_rows = 2048, intermediate = config.intermediate_sizes.front();
  Ceiling matmul(matmul_probe(matmul_rows, config.hidden_size, intermediate, dtype));
  const torch::Tensor tokens =
      at::randint(config.vocab_size, {o.batch, o.seq}, generator, token_options);
  const double prefill_tokens = static_cast<double>(o.batch * o.seq);
  const Spread prefill = spread(repeat(o.run.reps, matmul, [&] {
    const auto start = Clock::now();
    m::forward(model, tokens);
    return prefill_tokens / seconds_since(start);
  }));
  const double flops_per_token = prefill_flops_per_token(model, o.seq, LogitsAt::kEveryPosition);
  const Spread prefill_gflops = prefill.scaled(flops_per_token / 1e9);

  claw::log::info(name, ": decode of ", o.decode_steps, " tokens after a ", o.prompt,
                  "-token prompt, ", o.run.reps, " reps");
  Ceiling read(read_probe());
  const torch::Tensor prompt =
      at::randint(config.vocab_size, {1, o.prompt}, generator, token_options);
  m::ForwardOptions last_only;
  last_only.last_position_only = true;
  const Spread decode = spread(repeat(o.run.reps, read, [&] {
    m::KvCache cache(config, 1, o.prompt + o.decode_steps, model.device(), dtype);
    torch::Tensor logits = m::forward(model, prompt, {}, &cache, last_only);
    const auto start = Clock::now();
    for (std::int64_t i = 0; i < o.decode_steps; ++i) {
      logits = m::forward(model, logits.argmax(-1), {}, &cache, last_only);
    }
    return static_cast<double>(o.decode_steps) / seconds_since(start);
  }));
  const double bytes_per_token = static_cast<double>(claw::bench::decode_bytes_per_token(model));
  const Spread decode_gbs = decode.scaled(bytes_per_token / 1e9);

  return {
      {"dtype", name},
      {"prefill",
       {{"batch", o.batch},
        {"seq", o.seq},
        {"tokens_per_s", prefill.json()},
        {"flops_per_token", flops_per_token},
        {"gflops", prefill_gflops.json()},
        {"ceiling_gflops", matmul.best()},
        {"ceiling",
         {{"op", "matmul"},
          {"m", matmul_rows},
          {"k", config.hidden_size},
          {"n", intermediate},
          {"samples", matmul.samples()}}},
        {"fraction_of_ceiling", prefill_gflops.scaled(1 / matmul.best()).json()}}},
      {"decode",
       {{"batch", 1},
        {"prompt", o.prompt},
        {"steps", o.decode_steps},
        {"tokens_per_s", decode.json()},
        {"weight_bytes_per_token", bytes_per_token},
        {"gb_per_s", decode_gbs.json()},
        {"ceiling_gb_per_s", read.best()},
        {"ceiling", {{"op", "sum"}, {"bytes", kReadProbeBytes}, {"samples", read.samples()}}},
        {"fraction_of_ceiling", decode_gbs.scaled(1 / read.best()).json()}}},
  };
}

void print_human(const Json& r) {
  const Json& p = r["prefill"];
  const Json& d = r["decode"];
  std::printf("%s\n", r["dtype"].get<std::string>().c_str());
  std::printf("  matmul ceiling  [%lldx%lld]x[%lldx%lld]  %.1f GFLOP/s (best of %d)\n",
              p["ceiling"]["m"].get<long long>(), p["ceiling"]["k"].get<long long>(),
              p["ceiling"]["k"].get<long long>(), p["ceiling"]["n"].get<long long>(),
              p["ceiling_gflops"].get<double>(), p["ceiling"]["samples"].get<int>());
  std::printf("  prefill %lldx%lld     %s tok/s  %s GFLOP/s (%.3f GFLOP/token)\n",
              p["batch"].get<long long>(), p["seq"].get<long long>(),
              spread_text(p["tokens_per_s"], "%.1f").c_str(),
              spread_text(p["gflops"], "%.1f").c_str(), p["flops_per_token"].get<double>() / 1e9);
  std::printf("                  %s%% of the matmul ceiling (target >= 70%%)\n",
              spread_text(p["fraction_of_ceiling"], "%.1f", 100).c_str());
  std::printf("  read ceiling    sum of 1 GiB f32  %.1f GB/s (best of %d)\n",
              d["ceiling_gb_per_s"].get<double>(), d["ceiling"]["samples"].get<int>());
  std::printf("  decode 1x%lld+%lld   %s tok/s  %s GB/s of weights (%.3f GB/token)\n",
              d["prompt"].get<long long>(), d["steps"].get<long long>(),
              spread_text(d["tokens_per_s"], "%.2f").c_str(),
              spread_text(d["gb_per_s"], "%.1f").c_str(),
              d["weight_bytes_per_token"].get<double>() / 1e9);
  std::printf("                  %s%% of the read ceiling (target >= 50%%)\n",
              spread_text(d["fraction_of_ceiling"], "%.1f", 100).c_str());
}

}  // namespace

int main(int argc, char** argv) {
  claw::keep_freed_memory();
  CLI::App app{"claw_decoder_bench: decoder prefill and decode speed against measured ceilings"};
  Options o;
  app.add_option("--preset", o.preset, "model shape (random weights)")->capture_default_str();
  app.add_option("--dtype", o.dtypes, "dtypes to measure, comma-separated: f32, bf16, f16")
      ->delimiter(',')
      ->capture_default_str();
  app.add_option("--batch", o.batch, "prefill sequences per batch")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--seq", o.seq, "prefill tokens per sequence")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--prompt", o.prompt, "prompt tokens before decoding (untimed)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--decode-steps", o.decode_steps, "timed single-token decode steps")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--seed", o.seed, "seed of the weights and tokens")->capture_default_str();
  o.run.add_to(app);
  return claw::cli::run_main("claw_decoder_bench", app, argc, argv, [&] {
    std::vector<torch::ScalarType> dtypes;
    for (const std::string& d : o.dtypes) dtypes.push_back(claw::model::parse_dtype(d));
    o.run.apply();
    const int threads = at::get_num_threads();
    if (!o.run.json) {
      std::printf(
          "claw_decoder_bench %s: %s, %d threads, %d reps after 1 warm-up; median [min, max]\n",
          CLAW_VERSION, o.preset.c_str(), threads, o.run.reps);
    }
    Json results = Json::array();
    for (const torch::ScalarType dtype : dtypes) {
      // Progress goes to stderr meanwhile; each table appears as soon as its dtype is done.
      std::fflush(stdout);
      results.push_back(bench_dtype(o, dtype));
      if (!o.run.json) print_human(results.back());
    }
    if (o.run.json) {
      const Json record = {{"bench", "claw_decoder_bench"},
                           {"claw_version", CLAW_VERSION},
                           {"preset", o.preset},
                           {"threads", threads},
                           {"reps", o.run.reps},
                           {"results", results}};
      std::printf("%s\n", record.dump().c_str());
    }
  });
}
