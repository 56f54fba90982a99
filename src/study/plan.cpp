#include "study/plan.h"

#include <cstdio>

#include "bench/speed_comparison.h"
#include "compress/method_registry.h"
#include "compress/parameter_target.h"
#include "core/error.h"
#include "core/hash.h"
#include "recover/recovery_options.h"

namespace claw::study {
namespace {

// What an experiment's key hashes: its config, with the recovery settings in the spelling keys
// have always hashed, so that stores of earlier releases resume.
Json key_config(const Json& config) {
  Json key = config;
  if (key.contains("recovery"))
    key["recovery"] = recover::recovery_settings_for_key(key["recovery"]);
  return key;
}

void add_group(StudyPlan& plan, std::vector<Experiment> group) {
  for (Experiment& e : group) {
    e.key = json_key(key_config(e.config));
    e.group = plan.groups;
    plan.experiments.push_back(std::move(e));
  }
  ++plan.groups;
}

Json model_json(const StudyModel& model) {
  return {{"name", model.name}, {"content_hash", model.content_hash}};
}

// The method's own ratio that removes `fraction` of the model's non-embedding parameters.
double target_ratio(const StudyConfig& config, const StudyModel& model, const MethodSpec& method,
                    double fraction) {
  try {
    return compress::ratio_for_parameters(compress::method_info(method.name), model.config,
                                          method.options, fraction)
        .ratio;
  } catch (const Error& e) {
    throw Error(
        concat(config.source, ": target_params ", fraction, " for ", model.name, ": ", e.what()));
  }
}

}  // namespace

const char* kind_name(ExperimentKind kind) {
  switch (kind) {
    case ExperimentKind::kBase:
      return "base";
    case ExperimentKind::kCompressed:
      return "compressed";
    case ExperimentKind::kSpeed:
      return "speed";
  }
  return "?";
}

std::string Experiment::label() const {
  char ratio_text[32];
  std::snprintf(ratio_text, sizeof ratio_text, "%g", ratio);
  switch (kind) {
    case ExperimentKind::kBase:
      return concat("base (", model, ")");
    case ExperimentKind::kCompressed:
      return concat(method, " r=", ratio_text,
                    target_params ? concat(" (target ", *target_params, ")") : "", " D=", tokens,
                    objective == recover::Objective::kNextToken
                        ? ""
                        : concat(" ", recover::objective_name(objective)),
                    " (", model, ")");
    case ExperimentKind::kSpeed:
      return concat("speed ", method, " r=", ratio_text, " (", engine, ")");
  }
  return "";
}

std::string json_key(const Json& config) {
  ContentHasher hasher;
  hasher.update(config.dump());
  return hasher.hex_digest().substr(0, 16);
}

StudyPlan make_plan(const StudyConfig& config, const std::vector<StudyModel>& models,
                    const std::string& dtype) {
  StudyPlan plan;
  const Json evaluation = config.evaluation.settings();
  for (const StudyModel& model : models) {
    Experiment base;
    base.kind = ExperimentKind::kBase;
    base.model = model.name;
    base.config = {{"kind", "base"},
                   {"model", model_json(model)},
                   {"evaluation", evaluation},
                   {"dtype", dtype}};
    add_group(plan, {base});
  }
  // Sizes outermost and methods innermost, so any share gets every method's mix of work.
  const bool targets = !config.target_params.empty();
  for (const StudyModel& model : models) {
    for (const std::uint64_t seed : config.seeds) {
      for (const double size : targets ? config.target_params : config.ratios) {
        for (std::size_t m = 0; m < config.methods.size(); ++m) {
          const double ratio =
              targets ? target_ratio(config, model, config.methods[m], size) : size;
          const Json compression = {{"model", model_json(model)},
                                    {"method", config.methods[m].settings()},
                                    {"ratio", ratio},
                                    {"seed", seed}};

          std::vector<Experiment> group;
          for (const std::int64_t tokens : config.recovery.budgets) {
            // Without recovery there is nothing to train, by either objective.
            const std::vector<recover::Objective> objectives =
                tokens > 0 ? config.recovery.objectives
                           : std::vector<recover::Objective>{recover::Objective::kNextToken};
            for (const recover::Objective objective : objectives) {
              Experiment e;
              e.kind = ExperimentKind::kCompressed;
              e.model = model.name;
              e.method = config.methods[m].name;
              e.ratio = ratio;
              if (targets) e.target_params = size;
              e.tokens = tokens;
              e.objective = objective;
              e.seed = seed;
              e.compression_key = json_key(compression);
              const Json recovery =
                  tokens > 0
                      ? recover::recovery_settings(
                            config.recovery.options_for(tokens, seed, objective, model.name), dtype)
                      : Json{{"tokens", 0}};
              e.config = compression;
              // Not in the compression key: targets that land on one structure share its model.
              if (targets) e.config["target_params"] = size;
              e.config["kind"] = "compressed";
              e.config["recovery"] = recovery;
              e.config["evaluation"] = evaluation;
              e.config["dtype"] = dtype;
              group.push_back(std::move(e));
            }
          }
          add_group(plan, std::move(group));
        }
      }
    }
  }
  if (config.speed.enabled) {
    const Json speed = config.speed.settings();
    for (const std::string& engine : config.speed.engines) {
      for (const double ratio : config.speed.ratios) {
        for (std::size_t m = 0; m < config.speed.methods.size(); ++m) {
          const std::string& method = config.speed.methods[m];
          if (engine != bench::kClawEngine && !compress::method_info(method).runs_in_llama_cpp) {
            continue;  // measured in claw only; `claw study` warns of it
          }
          Experiment e;
          e.kind = ExperimentKind::kSpeed;
          e.model = config.speed.preset.empty() ? config.speed.model : config.speed.preset;
          e.method = method;
          e.ratio = ratio;
          e.engine = engine;
          e.config = {{"kind", "speed"}, {"speed", speed}, {"method", e.method}, {"ratio", ratio}};
          // Only a second engine enters the key, so the claw measurements of a study made
          // before engines existed keep theirs.
          if (engine != bench::kClawEngine) e.config["engine"] = engine;
          add_group(plan, {e});
        }
      }
    }
  }
  return plan;
}

Share parse_share(const std::string& text, const std::string& flag) {
  int index = 0, count = 0;
  char end = 0;
  const bool parsed = std::sscanf(text.c_str(), "%d/%d%c", &index, &count, &end) == 2;
  CLAW_CHECK(parsed && count >= 1 && index >= 1 && index <= count, flag, " expects I/N with ",
             "1 <= I <= N, e.g. 2/4; got '", text, "'");
  return {index - 1, count};
}

std::vector<const Experiment*> share_of(const StudyPlan& plan, Share shard, Share job) {
  std::vector<const Experiment*> out;
  for (const Experiment& e : plan.experiments) {
    if (e.kind == ExperimentKind::kSpeed) continue;
    const std::size_t g = e.group;
    if (static_cast<int>(g % shard.count) != shard.index) continue;
    if (static_cast<int>(g / shard.count % job.count) != job.index) continue;
    out.push_back(&e);
  }
  return out;
}

std::vector<const Experiment*> speed_share_of(const StudyPlan& plan, Share shard) {
  std::vector<const Experiment*> out;
  for (const Experiment& e : plan.experiments) {
    if (e.kind != ExperimentKind::kSpeed) continue;
    if (static_cast<int>(e.group % shard.count) == shard.index) out.push_back(&e);
  }
  return out;
}

}  // namespace claw::study
