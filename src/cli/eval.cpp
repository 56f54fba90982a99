// claw eval --model M --task T[,T...]: test cross-entropy and perplexity on text corpora, and
// zero-shot accuracy with lm-evaluation-harness semantics, each under a stated protocol.
#include <algorithm>
#include <cmath>
#include <cstdio>

#include "cli/command.h"
#include "cli/eval_report.h"
#include "cli/runtime_flags.h"
#include "core/atomic_file.h"
#include "core/error.h"
#include "core/json.h"
#include "data/choice_task.h"
#include "data/corpus.h"
#include "data/task_groups.h"
#include "eval/harness.h"
#include "eval/intrinsic.h"
#include "eval/scored_model.h"
#include "eval/zero_shot_suite.h"
#include "model/load.h"
#include "model/runtime.h"
#include "text/load_tokenizer.h"

namespace claw::cli {
namespace {

// Zero-shot questions per forward pass unless --batch says otherwise: enough to fill the
// matrix multiplies, few enough that their shared prompts' KV caches stay small.
constexpr std::int64_t kDefaultQuestionBatch = 8;

struct EvalArgs {
  std::string model, tokenizer, mode, log_samples,
      harness = std::string(eval::harness_name(eval::kDefaultHarness));
  std::vector<std::string> tasks;
  std::int64_t ctx = 0, stride = 0, limit_tokens = 0, limit = 0, batch = 0, num_fewshot = 0;
  std::optional<std::uint64_t> seed;
  bool no_prefix_sharing = false, json = false, streamed = false;
  RuntimeFlags runtime;
};

eval::IntrinsicOptions intrinsic_options(const EvalArgs& args) {
  eval::IntrinsicOptions options;
  if (!args.mode.empty()) {
    options.mode = args.mode == "windows" ? eval::Mode::kWindows : eval::Mode::kDocuments;
  }
  options.ctx = args.ctx;
  options.stride = args.stride;
  options.limit_tokens = args.limit_tokens;
  options.batch = args.batch > 0 ? args.batch : 1;
  return options;
}

eval::ZeroShotOptions zero_shot_options(const EvalArgs& args) {
  eval::ZeroShotOptions options;
  options.limit = args.limit;
  options.seed = args.seed;
  options.batch = args.batch > 0 ? args.batch : kDefaultQuestionBatch;
  options.share_prefix = !args.no_prefix_sharing;
  options.keep_samples = !args.log_samples.empty();
  options.harness = eval::parse_harness(args.harness);
  return options;
}

bool in_a_group(const data::ChoiceTaskSet& set, const std::string& task) {
  return std::any_of(set.groups.begin(), set.groups.end(), [&](const data::TaskGroup& g) {
    return std::find(g.tasks.begin(), g.tasks.end(), task) != g.tasks.end();
  });
}

void run(const EvalArgs& args) {
  CLAW_CHECK(!args.seed || args.limit > 0,
             "--seed picks which --limit items are evaluated; "
             "give --limit too");
  const eval::ZeroShotOptions zero_shot = zero_shot_options(args);
  // Every task is read before the model, so a misspelt name or a broken file fails at once.
  std::vector<data::Corpus> corpora;
  std::vector<std::string> choice_names;
  for (const std::string& name : args.tasks) {
    if (data::is_choice_task(name)) {
      choice_names.push_back(name);
    } else {
      corpora.push_back(data::load_corpus(name));
    }
  }
  CLAW_CHECK(args.num_fewshot == 0 || !choice_names.empty(),
             "--num-fewshot applies to zero-shot tasks; none was given");
  const data::ChoiceTaskSet choice_tasks =
      data::load_choice_tasks(choice_names, {args.num_fewshot});

  const model::LoadOptions load_options = args.runtime.apply();
  const std::filesystem::path model_path = resolve_model_argument(args.model);
  // The tokenizer, and each corpus's windows or documents with their options, are checked
  // against the model's config before its weights are read.
  const model::ModelConfig config = model::read_model_config(model_path);
  const std::unique_ptr<text::Tokenizer> tokenizer =
      text::load_tokenizer(model_tokenizer_path(model_path, config.vocab_size, args.tokenizer));
  const eval::IntrinsicOptions intrinsic = intrinsic_options(args);
  std::vector<eval::IntrinsicPlan> plans;
  for (const data::Corpus& corpus : corpora) {
    plans.push_back(eval::plan_intrinsic(config, *tokenizer, corpus, intrinsic));
  }
  // A model that does not fit is scored one layer at a time.
  eval::OpenedModel opened(model_path, load_options, args.streamed);
  const eval::ScoredModel scored = opened.scored();
  const model::Model& model = scored.frame();

  Json results = Json::object(), groups = Json::object(), samples_count = Json::object(),
       higher_is_better = Json::object();
  for (const eval::IntrinsicPlan& plan : plans) {
    const eval::IntrinsicResult result = eval::score_intrinsic(scored, plan, intrinsic);
    results[plan.name] = intrinsic_entry(plan.name, result);
    higher_is_better[plan.name] = {{"loss", false}, {"perplexity", false}};
    if (!args.json) print_intrinsic(args.model, plan.name, result);
  }
  const eval::SuiteResult suite = eval::evaluate_suite(
      scored, *tokenizer, choice_tasks, zero_shot, [&](const eval::ZeroShotResult& result) {
        if (args.json) return;
        if (in_a_group(choice_tasks, result.task)) {
          print_group_member(result);
        } else {
          print_zero_shot(args.model, result);
        }
      });
  std::string samples;
  for (const eval::ZeroShotResult& result : suite.tasks) {
    results[result.task] = zero_shot_entry(result);
    samples_count[result.task] = {{"original", result.items_available},
                                  {"effective", result.items_scored}};
    for (const eval::Metric& m : result.metrics) {
      higher_is_better[result.task][m.name] = m.name != "perplexity";
    }
    samples += sample_lines(result);
  }
  for (const eval::GroupResult& group : suite.groups) {
    groups[group.name] = group_entry(group);
    if (!args.json) print_group(args.model, group);
  }
  const Json average = eval::zero_shot_average(suite.figures);
  if (!args.json && suite.figures.size() > 1) {
    std::printf("average accuracy over %zu tasks: %.4f (chance %.4f)\n", suite.figures.size(),
                average["accuracy"].get<double>(),
                average["chance"].is_null() ? std::nan("") : average["chance"].get<double>());
  }
  if (!args.log_samples.empty()) write_file_atomic(args.log_samples, samples);
  if (args.json) {
    const Json output = {{"model", model_path.string()},
                         {"dtype", model::dtype_flag_name(model.dtype())},
                         {"device", model.embed.device().str()},
                         {"results", results},
                         {"groups", groups},
                         {"average", average},
                         {"n-samples", samples_count},
                         {"higher_is_better", higher_is_better},
                         {"config",
                          {{"limit", args.limit > 0 ? Json(args.limit) : Json(nullptr)},
                           {"seed", args.seed ? Json(*args.seed) : Json(nullptr)},
                           {"batch_size", args.batch > 0 ? Json(args.batch) : Json("default")},
                           {"prefix_sharing", !args.no_prefix_sharing},
                           {"num_fewshot", args.num_fewshot},
                           {"harness", args.harness}}}};
    std::printf("%s\n", output.dump(2, ' ', false, Json::error_handler_t::replace).c_str());
  }
}

}  // namespace

void register_eval(CLI::App& app) {
  auto args = std::make_shared<EvalArgs>();
  CLI::App* cmd = app.add_subcommand(
      "eval",
      "Measure a model: test cross-entropy and perplexity on a corpus, or zero-shot and "
      "few-shot accuracy with lm-evaluation-harness 0.4 semantics");
  cmd->add_option("--model", args->model,
                  "HF directory, llama2.c .bin, GGUF file, or bundled model name")
      ->required();
  cmd->add_option("--task", args->tasks,
                  "comma-separated tasks. Corpora: " + data::corpus_names_help() +
                      ". Zero-shot: " + data::choice_task_names_help())
      ->required()
      ->delimiter(',');
  cmd->add_option("--tokenizer", args->tokenizer,
                  "tokenizer file (default: found beside the model)");
  cmd->add_option("--mode", args->mode,
                  "corpora: windows (the text cut into windows; default for WikiText-2 and "
                  "text:PATH) or documents (each document alone with BOS; default for "
                  "TinyStories, Alpaca)")
      ->check(CLI::IsMember({"windows", "documents"}));
  cmd->add_option("--ctx", args->ctx,
                  "corpora: window length, or where documents are truncated (default: min(2048, "
                  "model context) for windows, the model context for documents)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--stride", args->stride,
                  "corpora: overlapping windows that start every S tokens and score only new "
                  "tokens (default: non-overlapping)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--limit-tokens", args->limit_tokens,
                  "corpora: use only the first N tokens (default: all)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--limit", args->limit,
                  "zero-shot: evaluate N items, the first N unless --seed is given (default: all)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--seed", args->seed, "zero-shot: with --limit, a seeded sample of N items");
  cmd->add_option("--batch", args->batch,
                  "sequences per forward pass for corpora (default 1); questions per forward "
                  "pass for zero-shot tasks (default 8)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--num-fewshot", args->num_fewshot,
                  "zero-shot tasks: answered examples before each question (MMLU: the first K of "
                  "its dev split, at most 5; default 0)")
      ->check(CLI::Range(0, 5));
  cmd->add_option("--harness", args->harness,
                  "zero-shot tasks: the lm-evaluation-harness release whose BOS handling to "
                  "follow: " +
                      eval::harness_names_help())
      ->check([](const std::string& name) {
        try {
          eval::parse_harness(name);
          return std::string();
        } catch (const Error& e) {
          return std::string(e.what());
        }
      })
      ->capture_default_str();
  cmd->add_flag("--no-prefix-sharing", args->no_prefix_sharing,
                "zero-shot: run every choice as a sequence of its own, as the harness does, "
                "instead of running a question's shared prompt once");
  cmd->add_option("--log-samples", args->log_samples,
                  "zero-shot: write one JSON line per item (requests, log-likelihoods, token "
                  "counts, prediction, gold) to FILE");
  cmd->add_flag("--streamed", args->streamed,
                "read the model one layer at a time even when it fits (chosen by itself when it "
                "does not): slower, the same scores");
  cmd->add_flag("--json", args->json, "print the results as JSON on stdout");
  args->runtime.add_to(*cmd);
  cmd->callback([args] { run(*args); });
}

}  // namespace claw::cli
