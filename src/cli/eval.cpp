// claw eval --model M --task T: test cross-entropy and perplexity under a stated protocol.
#include <cstdio>

#include "cli/command.h"
#include "cli/runtime_flags.h"
#include "core/error.h"
#include "core/format.h"
#include "core/json.h"
#include "data/corpus.h"
#include "eval/intrinsic.h"
#include "model/load.h"
#include "model/runtime.h"
#include "text/load_tokenizer.h"

namespace claw::cli {
namespace {

struct EvalArgs {
  std::string model, tokenizer, mode;
  std::vector<std::string> tasks;
  std::int64_t ctx = 0, stride = 0, limit_tokens = 0, batch = 1;
  bool json = false;
  RuntimeFlags runtime;
};

Json result_json(const std::string& task, const eval::IntrinsicResult& r) {
  return {{"task", task},
          {"metric", "loss"},
          {"loss", r.loss},
          {"perplexity", r.perplexity},
          {"tokens_scored", r.tokens_scored},
          {"mode", eval::mode_name(r.mode)},
          {r.mode == eval::Mode::kWindows ? "windows" : "documents", r.sequences},
          {"ctx", r.ctx},
          {"stride", r.stride},
          {"protocol", r.protocol},
          {"seconds", r.seconds},
          {"tokens_per_second", static_cast<double>(r.tokens_scored) / r.seconds}};
}

void print_human(const std::string& model, const Json& r) {
  std::printf("%s on %s (%s)\n", model.c_str(), r["task"].get<std::string>().c_str(),
              r["mode"].get<std::string>().c_str());
  std::printf("  loss        %.6f nats/token\n", r["loss"].get<double>());
  std::printf("  perplexity  %.4f\n", r["perplexity"].get<double>());
  const std::string unit = r["mode"].get<std::string>();
  std::printf("  scored      %s tokens in %s %s\n",
              with_commas(r["tokens_scored"].get<std::int64_t>()).c_str(),
              with_commas(r[unit].get<std::int64_t>()).c_str(), unit.c_str());
  std::printf("  protocol    %s\n", r["protocol"].get<std::string>().c_str());
  std::printf("  time        %.2f s (%.0f tokens/s)\n", r["seconds"].get<double>(),
              r["tokens_per_second"].get<double>());
}

void run(const EvalArgs& args) {
  eval::IntrinsicOptions options;
  if (!args.mode.empty()) {
    options.mode = args.mode == "windows" ? eval::Mode::kWindows : eval::Mode::kDocuments;
  }
  options.ctx = args.ctx;
  options.stride = args.stride;
  options.limit_tokens = args.limit_tokens;
  options.batch = args.batch;
  // Every corpus is read before the model, so a misspelt task fails at once.
  std::vector<data::Corpus> corpora;
  for (const std::string& task : args.tasks) corpora.push_back(data::load_corpus(task));

  const model::LoadOptions load_options = args.runtime.apply();
  const std::filesystem::path model_path = resolve_model_argument(args.model);
  const model::Model model = model::load_model(model_path, load_options);
  const std::unique_ptr<text::Tokenizer> tokenizer = text::load_tokenizer(
      model_tokenizer_path(model_path, model.config.vocab_size, args.tokenizer));

  Json results = Json::array();
  for (const data::Corpus& corpus : corpora) {
    const eval::IntrinsicResult result =
        eval::evaluate_intrinsic(model, *tokenizer, corpus, options);
    results.push_back(result_json(corpus.name, result));
    if (!args.json) print_human(args.model, results.back());
  }
  if (args.json) {
    const Json output = {{"model", model_path.string()},
                         {"dtype", model::dtype_flag_name(model.dtype())},
                         {"device", model.embed.device().str()},
                         {"results", results}};
    std::printf("%s\n", output.dump(2).c_str());
  }
}

}  // namespace

void register_eval(CLI::App& app) {
  auto args = std::make_shared<EvalArgs>();
  CLI::App* cmd = app.add_subcommand(
      "eval", "Measure a model: test cross-entropy (nats per token) and perplexity on a corpus");
  cmd->add_option("--model", args->model, "HF directory, llama2.c .bin, or bundled model name")
      ->required();
  cmd->add_option("--task", args->tasks, "comma-separated corpora: " + data::corpus_names_help())
      ->required()
      ->delimiter(',');
  cmd->add_option("--tokenizer", args->tokenizer,
                  "tokenizer file (default: found beside the model)");
  cmd->add_option("--mode", args->mode,
                  "windows: the text cut into windows (default for WikiText-2 and text:PATH); "
                  "documents: each document alone with BOS (default for TinyStories, Alpaca)")
      ->check(CLI::IsMember({"windows", "documents"}));
  cmd->add_option("--ctx", args->ctx,
                  "window length, or where documents are truncated (default: min(2048, model "
                  "context) for windows, the model context for documents)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--stride", args->stride,
                  "overlapping windows that start every S tokens and score only new tokens "
                  "(default: non-overlapping)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--limit-tokens", args->limit_tokens,
                  "use only the first N tokens of the corpus (default: all)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--batch", args->batch, "sequences per forward pass (default 1)")
      ->check(CLI::PositiveNumber);
  cmd->add_flag("--json", args->json, "print the results as JSON on stdout");
  args->runtime.add_to(*cmd);
  cmd->callback([args] { run(*args); });
}

}  // namespace claw::cli
