// claw generate --model M: text from a model, greedy or sampled, streamed to stdout.
#include <chrono>
#include <cstdio>
#include <filesystem>

#include "cli/command.h"
#include "cli/runtime_flags.h"
#include "core/error.h"
#include "core/log.h"
#include "model/generate.h"
#include "model/load.h"
#include "text/load_tokenizer.h"

namespace claw::cli {
namespace fs = std::filesystem;
namespace {

struct GenerateArgs {
  std::string model, tokenizer, prompt;
  std::int64_t steps = 256;
  double temperature = 1.0, top_p = 0.9;
  std::uint64_t seed = 0;
  RuntimeFlags runtime;
};

void run(const GenerateArgs& args) {
  const model::LoadOptions load_options = args.runtime.apply();
  const fs::path model_path = resolve_model_argument(args.model);
  model::Model model = model::load_model(model_path, load_options);

  const fs::path tokenizer_path =
      model_tokenizer_path(model_path, model.config.vocab_size, args.tokenizer);
  const std::unique_ptr<text::Tokenizer> tokenizer = text::load_tokenizer(tokenizer_path);
  CLAW_CHECK(tokenizer->vocab_size() <= model.config.vocab_size, tokenizer_path.string(), ": has ",
             tokenizer->vocab_size(), " tokens but the model only ", model.config.vocab_size);

  const std::vector<std::int32_t> encoded =
      tokenizer->encode(args.prompt, {/*add_bos=*/tokenizer->bos_id().has_value()});
  const std::vector<std::int64_t> prompt(encoded.begin(), encoded.end());

  model::GenerateOptions options;
  options.steps = args.steps;
  options.sampler = {args.temperature, args.top_p, args.seed};
  options.stop_tokens = model.config.eos_token_ids;
  // llama2.c ends a story at the BOS that would start the next one.
  for (const auto& id : {tokenizer->bos_id(), tokenizer->eos_id()}) {
    if (id) options.stop_tokens.push_back(*id);
  }
  if (args.steps > model.config.max_position_embeddings) {
    log::warn("--steps ", args.steps, " exceeds the model context; stopping at ",
              model.config.max_position_embeddings);
  }

  // The prompt is echoed as the tokenizer decodes it, so the output reads as one text.
  std::int64_t previous = -1;
  auto emit = [&](std::int64_t token) {
    const std::string piece = tokenizer->decode_token(static_cast<std::int32_t>(previous),
                                                      static_cast<std::int32_t>(token));
    std::fwrite(piece.data(), 1, piece.size(), stdout);
    std::fflush(stdout);
    previous = token;
  };
  for (std::int64_t token : prompt) emit(token);
  const auto start = std::chrono::steady_clock::now();
  const std::vector<std::int64_t> generated = model::generate(model, prompt, options, emit);
  std::printf("\n");
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  log::info(generated.size(), " tokens in ", seconds, " s (", generated.size() / seconds,
            " tokens/s)");
}

}  // namespace

void register_generate(CLI::App& app) {
  auto args = std::make_shared<GenerateArgs>();
  CLI::App* cmd = app.add_subcommand("generate", "Generate text from a model");
  cmd->add_option("--model", args->model,
                  "HF directory, llama2.c .bin, GGUF file, or bundled model name")
      ->required();
  cmd->add_option("--tokenizer", args->tokenizer,
                  "tokenizer file (default: found beside the model)");
  cmd->add_option("--prompt", args->prompt, "text to continue (default: start from BOS)");
  cmd->add_option("--steps", args->steps,
                  "forward passes as llama2.c counts them: prompt tokens + generated tokens - 1")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--temperature", args->temperature, "0 for greedy decoding")
      ->capture_default_str();
  cmd->add_option("--top-p", args->top_p, "nucleus sampling mass")->capture_default_str();
  cmd->add_option("--seed", args->seed, "sampling seed")->capture_default_str();
  args->runtime.add_to(*cmd);
  cmd->callback([args] { run(*args); });
}

}  // namespace claw::cli
