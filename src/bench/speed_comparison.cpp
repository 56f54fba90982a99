#include "bench/speed_comparison.h"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Parallel.h>

#include <algorithm>

#include "bench/generation_timing.h"
#include "bench/memory_meter.h"
#include "bench/statistics.h"
#include "bench/work.h"
#include "core/error.h"
#include "core/option_table.h"
#include "core/progress.h"
#include "model/content_hash.h"
#include "model/runtime.h"

namespace claw::bench {
namespace {

// The repetitions of one model at one setting, with the tensor memory the largest one needed.
struct MeasuredRuns : GenerationRuns {
  std::int64_t working_bytes = 0;
};

Json figures(const MeasuredRuns& runs, const model::Model& model) {
  Json out = runs.figures();
  out["working_bytes"] = runs.working_bytes;
  out["peak_memory_bytes"] = weight_bytes(model) + runs.working_bytes;
  return out;
}

Json compare(const MeasuredRuns& base_runs, const MeasuredRuns& model_runs,
             const model::Model& base, const model::Model& model, std::int64_t prompt) {
  return {{"prefill",
           speedup_against_ideal(model_runs.prefill_tokens_per_s, base_runs.prefill_tokens_per_s,
                                 ideal_prefill_speedup(base, model, prompt))},
          {"decode",
           speedup_against_ideal(model_runs.decode_tokens_per_s, base_runs.decode_tokens_per_s,
                                 ideal_decode_speedup(base, model))}};
}

}  // namespace

Json describe_benched_model(const BenchedModel& m) {
  const model::Model& model = *m.model;
  return {{"path", m.path},
          {"content_hash", model::content_hash(model)},
          {"dtype", model::dtype_flag_name(model.dtype())},
          {"weight_bytes", weight_bytes(model)},
          {"decode_bytes_per_token", decode_bytes_per_token(model)},
          {"layer_matmul_elements", layer_matmul_elements(model)}};
}

void check_speed_options(const SpeedOptions& o, const model::ModelConfig& config) {
  if (o.reps <= 0) throw OptionError("reps", concat("must be positive, got ", o.reps));
  if (o.warmup < 0) throw OptionError("warmup", concat("must be >= 0, got ", o.warmup));
  if (o.decode <= 0) throw OptionError("decode", concat("must be positive, got ", o.decode));
  if (o.batches.empty()) throw OptionError("batch", "needs a value");
  if (o.prompts.empty()) throw OptionError("prefill", "needs a value");
  for (const std::int64_t b : o.batches) {
    if (b <= 0) throw OptionError("batch", concat("must be positive, got ", b));
  }
  for (const std::int64_t p : o.prompts) {
    if (p <= 0) throw OptionError("prefill", concat("must be positive, got ", p));
    if (p + o.decode > config.max_position_embeddings) {
      throw OptionError(
          "prefill", concat(p, " plus ", o.decode, " decode tokens exceed the model's context of ",
                            config.max_position_embeddings));
    }
  }
}

Json compare_speed(const std::vector<BenchedModel>& models, const SpeedOptions& o) {
  CLAW_CHECK(models.size() == 1 || models.size() == 2, "compare_speed takes one or two models");
  for (const BenchedModel& m : models) check_speed_options(o, m.model->config);
  const model::Model& first = *models.front().model;
  TensorMemoryMeter memory(first.device());
  const int rounds = o.warmup + o.reps;
  Progress progress(
      "bench",
      static_cast<std::int64_t>(o.batches.size() * o.prompts.size() * models.size()) * rounds,
      "runs");

  Json record = {{"engine", kClawEngine},
                 {"device", first.device().str()},
                 {"threads", at::get_num_threads()},
                 {"decode", o.decode},
                 {"reps", o.reps},
                 {"warmup", o.warmup},
                 {"seed", o.seed},
                 {"models", Json::object()},
                 {"settings", Json::array()}};
  for (const BenchedModel& m : models) record["models"][m.role] = describe_benched_model(m);

  at::Generator generator = at::detail::createCPUGenerator(o.seed);
  for (const std::int64_t batch : o.batches) {
    for (const std::int64_t prompt_length : o.prompts) {
      const torch::Tensor prompt =
          at::randint(first.config.vocab_size, {batch, prompt_length}, generator,
                      torch::TensorOptions().dtype(torch::kInt64))
              .to(first.device());
      std::vector<MeasuredRuns> runs(models.size());
      for (int round = 0; round < rounds; ++round) {
        for (std::size_t i = 0; i < models.size(); ++i) {
          progress.set_detail(concat("batch ", batch, ", prefill ", prompt_length, ": ",
                                     models[i].role, round < o.warmup ? " (warm-up)" : ""));
          const GenerationTiming t = time_generation(*models[i].model, prompt, o.decode, memory);
          progress.advance(1);
          if (round < o.warmup) continue;
          MeasuredRuns& r = runs[i];
          r.prefill_tokens_per_s.push_back(double(batch * prompt_length) / t.first_token_seconds);
          r.first_token_ms.push_back(1e3 * t.first_token_seconds);
          r.decode_tokens_per_s.push_back(double(batch * o.decode) / t.decode_seconds);
          r.working_bytes = std::max(r.working_bytes, t.working_bytes);
        }
      }
      Json setting = {{"batch", batch}, {"prefill", prompt_length}};
      for (std::size_t i = 0; i < models.size(); ++i) {
        setting[models[i].role] = figures(runs[i], *models[i].model);
      }
      if (models.size() == 2) {
        setting["speedup"] =
            compare(runs[0], runs[1], *models[0].model, *models[1].model, prompt_length);
      }
      record["settings"].push_back(std::move(setting));
    }
  }
  progress.finish();
  return record;
}

}  // namespace claw::bench
