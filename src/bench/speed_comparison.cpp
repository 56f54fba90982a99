#include "bench/speed_comparison.h"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Parallel.h>

#include <algorithm>
#include <functional>
#include <optional>

#include "bench/generation_timing.h"
#include "bench/memory_meter.h"
#include "bench/statistics.h"
#include "bench/work.h"
#include "core/allocator.h"
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

// What the record says of a model and what its speedups are computed from, taken while it is in
// memory, so that a model read for each turn need not be there when the figures are made.
struct ModelFacts {
  Json description;
  std::int64_t weight_bytes = 0;
  std::int64_t decode_bytes = 0;      // per token
  std::vector<double> prefill_flops;  // per token, per prompt length of the options
};

ModelFacts facts_of(const BenchedModel& m, const model::Model& model, const SpeedOptions& o) {
  ModelFacts facts{
      describe_benched_model(m, model), weight_bytes(model), decode_bytes_per_token(model), {}};
  for (const std::int64_t prompt : o.prompts) {
    facts.prefill_flops.push_back(prefill_flops_per_token(model, prompt, LogitsAt::kLastPosition));
  }
  return facts;
}

Json figures(const MeasuredRuns& runs, const ModelFacts& model) {
  Json out = runs.figures();
  out["working_bytes"] = runs.working_bytes;
  out["peak_memory_bytes"] = model.weight_bytes + runs.working_bytes;
  return out;
}

// The ideal speedups are ideal_prefill_speedup() and ideal_decode_speedup() of work.h, from the
// costs each model's facts hold.
Json compare(const MeasuredRuns& base_runs, const MeasuredRuns& model_runs, const ModelFacts& base,
             const ModelFacts& model, std::size_t prompt_index) {
  return {
      {"prefill", speedup_against_ideal(
                      model_runs.prefill_tokens_per_s, base_runs.prefill_tokens_per_s,
                      base.prefill_flops.at(prompt_index) / model.prefill_flops.at(prompt_index))},
      {"decode",
       speedup_against_ideal(model_runs.decode_tokens_per_s, base_runs.decode_tokens_per_s,
                             static_cast<double>(base.decode_bytes) / double(model.decode_bytes))}};
}

}  // namespace

Json describe_benched_model(const BenchedModel& m, const model::Model& model) {
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
  const bool in_turns = std::any_of(models.begin(), models.end(),
                                    [](const BenchedModel& m) { return m.model == nullptr; });
  // A model in memory is checked now; one loaded for its turns, when it first is.
  for (const BenchedModel& m : models) {
    if (m.model) check_speed_options(o, m.model->config);
  }
  const int rounds = o.warmup + o.reps;
  Progress progress(
      "bench",
      static_cast<std::int64_t>(o.batches.size() * o.prompts.size() * models.size()) * rounds,
      "runs");

  Json record = {{"engine", kClawEngine},
                 {"threads", at::get_num_threads()},
                 {"decode", o.decode},
                 {"reps", o.reps},
                 {"warmup", o.warmup},
                 {"seed", o.seed},
                 {"models_in_memory", in_turns ? "one at a time" : "together"},
                 {"models", Json::object()},
                 {"settings", Json::array()}};

  // Every setting's runs per model, and its prompt, drawn when first run.
  struct Setting {
    std::int64_t batch, prompt_length;
    std::size_t prompt_index;
    std::vector<MeasuredRuns> runs;
    torch::Tensor prompt{};
  };
  std::vector<Setting> settings;
  for (const std::int64_t batch : o.batches) {
    for (std::size_t p = 0; p < o.prompts.size(); ++p) {
      settings.push_back({batch, o.prompts[p], p, std::vector<MeasuredRuns>(models.size())});
    }
  }
  at::Generator generator = at::detail::createCPUGenerator(o.seed);

  std::vector<std::optional<ModelFacts>> facts(models.size());
  std::optional<TensorMemoryMeter> memory;
  // Runs `body` with model i in memory: the one held, or one read for this turn.
  const auto in_memory = [&](std::size_t i, const std::function<void(const model::Model&)>& body) {
    std::optional<model::Model> loaded;
    if (!models[i].model) {
      progress.set_detail(concat("loading ", models[i].role));
      loaded = models[i].load();
    }
    const model::Model& model = models[i].model ? *models[i].model : *loaded;
    if (!facts[i]) {
      check_speed_options(o, model.config);
      facts[i] = facts_of(models[i], model, o);
    }
    if (!memory) {
      memory.emplace(model.device());
      record["device"] = model.device().str();
    }
    body(model);
    if (loaded) {
      loaded.reset();
      trim_freed_memory();  // so that the next model's load finds the memory available
    }
  };
  const auto measure = [&](std::size_t i, const model::Model& model, Setting& s, int round) {
    progress.set_detail(concat("batch ", s.batch, ", prefill ", s.prompt_length, ": ",
                               models[i].role, round < o.warmup ? " (warm-up)" : ""));
    // Both models (which share a vocabulary) read the same tokens.
    if (!s.prompt.defined()) {
      s.prompt = at::randint(model.config.vocab_size, {s.batch, s.prompt_length}, generator,
                             torch::TensorOptions().dtype(torch::kInt64));
    }
    const GenerationTiming t =
        time_generation(model, s.prompt.to(model.device()), o.decode, *memory);
    progress.advance(1);
    if (round < o.warmup) return;
    MeasuredRuns& r = s.runs[i];
    r.prefill_tokens_per_s.push_back(double(s.batch * s.prompt_length) / t.first_token_seconds);
    r.first_token_ms.push_back(1e3 * t.first_token_seconds);
    r.decode_tokens_per_s.push_back(double(s.batch * o.decode) / t.decode_seconds);
    r.working_bytes = std::max(r.working_bytes, t.working_bytes);
  };
  if (in_turns) {
    // Each turn holds one model and runs every setting.
    for (int round = 0; round < rounds; ++round) {
      for (std::size_t i = 0; i < models.size(); ++i) {
        in_memory(i, [&](const model::Model& model) {
          for (Setting& s : settings) measure(i, model, s, round);
        });
      }
    }
  } else {
    for (Setting& s : settings) {
      for (int round = 0; round < rounds; ++round) {
        for (std::size_t i = 0; i < models.size(); ++i) {
          in_memory(i, [&](const model::Model& model) { measure(i, model, s, round); });
        }
      }
    }
  }
  for (std::size_t i = 0; i < models.size(); ++i) {
    record["models"][models[i].role] = facts[i]->description;
  }
  for (const Setting& s : settings) {
    Json setting = {{"batch", s.batch}, {"prefill", s.prompt_length}};
    for (std::size_t i = 0; i < models.size(); ++i) {
      setting[models[i].role] = figures(s.runs[i], *facts[i]);
    }
    if (models.size() == 2) {
      setting["speedup"] = compare(s.runs[0], s.runs[1], *facts[0], *facts[1], s.prompt_index);
    }
    record["settings"].push_back(std::move(setting));
  }
  progress.finish();
  return record;
}

}  // namespace claw::bench
