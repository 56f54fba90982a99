// claw_eval_bench: intrinsic-evaluation speed, the scorer of `claw eval` on windows of random
// tokens through a randomly initialised model of a real shape, as a fraction of a large matrix
// multiply's rate measured in the same run (docs/architecture.md, Conventions).
//
//   claw_eval_bench [--preset qwen2.5-0.5b] [--dtype f32,bf16] [--ctx 512,2048] [--reps 2]
//                   [--threads 0] [--json] [-q]
//
// Each measurement scores enough windows for about 4,096 tokens, once untimed and then --reps
// times; figures are the median and [min, max]. FLOPs per token are those of a prefill of one
// window (bench_support.h) with the LM head at every position, as the scorer applies it. With
// the Qwen tokenizer and WikiText-2 in the data directory it also prints the time a full
// WikiText-2 test evaluation at that speed takes.
#include <ATen/CPUGeneratorImpl.h>
#include <torch/types.h>
#include <CLI/CLI.hpp>

#include <cstdio>
#include <string>
#include <vector>

#include "bench_support.h"
#include "cli/run_main.h"
#include "core/allocator.h"
#include "core/data_dir.h"
#include "core/error.h"
#include "core/json.h"
#include "core/log.h"
#include "data/corpus.h"
#include "eval/intrinsic.h"
#include "model/presets.h"
#include "model/runtime.h"
#include "text/load_tokenizer.h"

namespace {

namespace bench = claw::bench;
using claw::Json;

struct Options {
  std::string preset = "qwen2.5-0.5b";
  std::vector<std::string> dtypes = {"f32", "bf16"};
  std::vector<std::int64_t> contexts = {512, 2048};
  claw::bench::RunFlags run{2};
};

// Tokens of the WikiText-2 test file under the Qwen tokenizer, or 0 when either is missing.
std::int64_t wikitext_tokens() {
  try {
    const auto tokenizer =
        claw::text::load_tokenizer(claw::data_file("tokenizers/qwen/tokenizer.json"));
    return static_cast<std::int64_t>(
        tokenizer->encode(claw::data::load_corpus("wikitext2").text, {}).size());
  } catch (const claw::Error& e) {
    claw::log::warn("no WikiText-2 estimate: ", e.what());
    return 0;
  }
}

Json measure(const Options& o, const claw::model::Model& model, std::int64_t ctx,
             std::int64_t wiki_tokens) {
  const claw::model::ModelConfig& config = model.config;
  CLAW_CHECK(ctx <= config.max_position_embeddings, "--ctx ", ctx, " exceeds the context of ",
             config.max_position_embeddings);
  at::Generator generator = at::detail::createCPUGenerator(static_cast<std::uint64_t>(ctx));
  const std::int64_t windows = std::max<std::int64_t>(1, 4096 / ctx);
  const torch::Tensor random = at::randint(config.vocab_size, {windows, ctx}, generator,
                                           torch::TensorOptions().dtype(torch::kInt32));
  std::vector<claw::eval::TokenSpan> spans(static_cast<std::size_t>(windows));
  for (std::int64_t w = 0; w < windows; ++w) {
    const std::int32_t* row = random[w].data_ptr<std::int32_t>();
    spans[w].tokens.assign(row, row + ctx);
  }
  const double targets = static_cast<double>(windows * (ctx - 1));
  bench::Ceiling matmul(bench::matmul_probe(2048, config.hidden_size,
                                            config.intermediate_sizes.front(), model.dtype()));
  claw::log::info(claw::model::dtype_flag_name(model.dtype()), " ctx ", ctx, ": ", windows,
                  " windows, ", o.run.reps, " reps");
  const bench::Spread tokens_per_s = bench::spread(bench::repeat(o.run.reps, matmul, [&] {
    const auto start = bench::Clock::now();
    claw::eval::score_spans(model, spans);
    return targets / bench::seconds_since(start);
  }));
  const double flops_per_token =
      bench::prefill_flops_per_token(model, ctx, bench::LogitsAt::kEveryPosition);
  const bench::Spread gflops = tokens_per_s.scaled(flops_per_token / 1e9);
  Json result = {{"dtype", claw::model::dtype_flag_name(model.dtype())},
                 {"ctx", ctx},
                 {"windows", windows},
                 {"tokens_per_s", tokens_per_s.json()},
                 {"flops_per_token", flops_per_token},
                 {"gflops", gflops.json()},
                 {"ceiling_gflops", matmul.best()},
                 {"fraction_of_ceiling", gflops.scaled(1 / matmul.best()).json()}};
  if (wiki_tokens > 0) {
    result["wikitext2_tokens"] = wiki_tokens;
    result["wikitext2_seconds"] = static_cast<double>(wiki_tokens) / tokens_per_s.median;
  }
  return result;
}

void print_human(const Json& r) {
  const auto& t = r["tokens_per_s"];
  const auto& f = r["fraction_of_ceiling"];
  std::printf(
      "%-5s ctx %-5lld %8.1f tok/s [%.1f, %.1f]  %6.1f GFLOP/s of %.1f: %.1f%% [%.1f, %.1f]",
      r["dtype"].get<std::string>().c_str(), r["ctx"].get<long long>(), t["median"].get<double>(),
      t["min"].get<double>(), t["max"].get<double>(), r["gflops"]["median"].get<double>(),
      r["ceiling_gflops"].get<double>(), 100 * f["median"].get<double>(),
      100 * f["min"].get<double>(), 100 * f["max"].get<double>());
  if (r.contains("wikitext2_seconds")) {
    std::printf("  WikiText-2 test: %.1f min", r["wikitext2_seconds"].get<double>() / 60);
  }
  std::printf("\n");
}

}  // namespace

int main(int argc, char** argv) {
  claw::keep_freed_memory();
  CLI::App app{"claw_eval_bench: intrinsic-evaluation speed against the matmul ceiling"};
  Options o;
  app.add_option("--preset", o.preset, "model shape (random weights)")->capture_default_str();
  app.add_option("--dtype", o.dtypes, "dtypes, comma-separated")
      ->delimiter(',')
      ->capture_default_str();
  app.add_option("--ctx", o.contexts, "window lengths, comma-separated")
      ->delimiter(',')
      ->capture_default_str();
  o.run.add_to(app);
  return claw::cli::run_main("claw_eval_bench", app, argc, argv, [&] {
    o.run.apply();
    const std::int64_t wiki_tokens = wikitext_tokens();
    Json results = Json::array();
    for (const std::string& dtype_name : o.dtypes) {
      const torch::ScalarType dtype = claw::model::parse_dtype(dtype_name);
      const claw::model::Model model =
          claw::model::random_model(claw::model::preset_config(o.preset), 0, dtype);
      for (std::int64_t ctx : o.contexts) {
        results.push_back(measure(o, model, ctx, wiki_tokens));
        if (!o.run.json) print_human(results.back());
      }
    }
    if (o.run.json) std::printf("%s\n", results.dump(2).c_str());
  });
}
