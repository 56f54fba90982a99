// claw_recover_bench: recovery fine-tuning speed beside evaluation speed on the same model and
// sequences: how much a training token costs against a scored one (target: training at 0.3x
// of evaluation or better).
//
//   claw_recover_bench [--preset qwen2.5-0.5b] [--dtype f32] [--seq-len 512] [--batch 4]
//                      [--steps 3] [--lora-rank 8] [--full] [--reps 1] [--threads 0] [--json] [-q]
//
// Random weights and random tokens: speed does not depend on them. Evaluation is the no-gradient
// loss over the sequences (what `claw eval` computes); training is LoRA on every projection
// (or all weights with --full) with AdamW, one optimizer step per batch. An untimed pass of
// each comes first.
#include <ATen/CPUGeneratorImpl.h>
#include <CLI/CLI.hpp>

#include <cstdio>
#include <string>
#include <vector>

#include "bench_support.h"
#include "cli/run_main.h"
#include "core/allocator.h"
#include "core/error.h"
#include "core/json.h"
#include "core/log.h"
#include "model/layout.h"
#include "model/presets.h"
#include "model/runtime.h"
#include "recover/lora.h"
#include "recover/trainer.h"

namespace {

using claw::Json;

struct Options {
  std::string preset = "qwen2.5-0.5b", dtype = "f32";
  std::int64_t seq_len = 512, batch = 4, steps = 3, rank = 8;
  bool full = false;
  claw::bench::RunFlags run{1};
};

std::vector<claw::recover::TrainingSequence> random_sequences(const Options& o,
                                                              std::int64_t vocab) {
  at::Generator generator = at::detail::createCPUGenerator(3);
  std::vector<claw::recover::TrainingSequence> sequences;
  for (std::int64_t i = 0; i < o.steps * o.batch; ++i) {
    const torch::Tensor t = at::randint(vocab, {o.seq_len}, generator, torch::kInt).contiguous();
    claw::recover::TrainingSequence s;
    s.tokens.assign(t.data_ptr<std::int32_t>(), t.data_ptr<std::int32_t>() + t.numel());
    s.scored.assign(s.tokens.size() - 1, 1);
    sequences.push_back(std::move(s));
  }
  return sequences;
}

}  // namespace

int main(int argc, char** argv) {
  claw::keep_freed_memory();
  CLI::App app{"claw_recover_bench: training tokens/s beside evaluation tokens/s"};
  Options o;
  app.add_option("--preset", o.preset, "model shape (random weights)")->capture_default_str();
  app.add_option("--dtype", o.dtype, "f32 or bf16")->capture_default_str();
  app.add_option("--seq-len", o.seq_len, "tokens per sequence")->capture_default_str();
  app.add_option("--batch", o.batch, "sequences per step")->capture_default_str();
  app.add_option("--steps", o.steps, "optimizer steps timed")->capture_default_str();
  app.add_option("--lora-rank", o.rank, "LoRA rank")->capture_default_str();
  app.add_flag("--full", o.full, "train all weights instead of LoRA");
  o.run.add_to(app);
  return claw::cli::run_main("claw_recover_bench", app, argc, argv, [&] {
    o.run.apply();
    claw::model::Model model = claw::model::random_model(claw::model::preset_config(o.preset), 0,
                                                         claw::model::parse_dtype(o.dtype));
    const auto sequences = random_sequences(o, model.config.vocab_size);
    const std::vector<claw::recover::TrainingSequence> warm_up(sequences.begin(),
                                                               sequences.begin() + o.batch);
    const double tokens =
        static_cast<double>(sequences.size()) * static_cast<double>(o.seq_len - 1);

    claw::log::info("evaluation: ", sequences.size(), " sequences of ", o.seq_len, " tokens");
    claw::recover::mean_loss(model, warm_up, o.batch);
    std::vector<double> eval_rates, train_rates;
    for (int rep = 0; rep < o.run.reps; ++rep) {
      const auto start = claw::bench::Clock::now();
      claw::recover::mean_loss(model, sequences, o.batch);
      eval_rates.push_back(tokens / claw::bench::seconds_since(start));
    }

    std::vector<torch::Tensor> trainable;
    if (o.full) {
      for (const auto& spec : claw::model::tensor_layout(model.config)) {
        trainable.push_back(claw::model::tensor_slot(model, spec).requires_grad_());
      }
    } else {
      at::Generator generator = at::detail::createCPUGenerator(1);
      claw::recover::LoraOptions lora;
      lora.rank = o.rank;
      trainable = claw::recover::attach_lora(model, lora, generator);
    }
    claw::recover::TrainerOptions trainer;
    trainer.batch = o.batch;
    claw::log::info("training: ", o.steps, " steps of ", o.batch, " sequences");
    claw::recover::train(model, trainable, warm_up, {}, trainer);
    for (int rep = 0; rep < o.run.reps; ++rep) {
      const claw::recover::TrainingReport report =
          claw::recover::train(model, trainable, sequences, {}, trainer);
      train_rates.push_back(static_cast<double>(report.tokens) / report.seconds);
    }
    const claw::bench::Spread eval = claw::bench::spread(eval_rates);
    const claw::bench::Spread training = claw::bench::spread(train_rates);
    const double ratio = training.median / eval.median;
    const Json result = {{"preset", o.preset},
                         {"dtype", o.dtype},
                         {"seq_len", o.seq_len},
                         {"batch", o.batch},
                         {"method", o.full ? "full" : "lora"},
                         {"eval_tokens_per_second", eval.json()},
                         {"train_tokens_per_second", training.json()},
                         {"train_to_eval", ratio}};
    if (o.run.json) {
      std::printf("%s\n", result.dump(2).c_str());
    } else {
      std::printf("%s %s, seq %lld, batch %lld, %s\n", o.preset.c_str(), o.dtype.c_str(),
                  static_cast<long long>(o.seq_len), static_cast<long long>(o.batch),
                  o.full ? "all weights" : "LoRA");
      std::printf("evaluation  %8.1f tokens/s  [%.1f, %.1f]\n", eval.median, eval.min, eval.max);
      std::printf("training    %8.1f tokens/s  [%.1f, %.1f]\n", training.median, training.min,
                  training.max);
      std::printf("ratio       %8.2fx  (target >= 0.3x)\n", ratio);
    }
  });
}
