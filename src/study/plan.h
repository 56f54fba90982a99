// A study's plan: every experiment it implies, each keyed by the hash of everything that
// determines its result, grouped so that the recovery budgets of one compressed model run
// together, and the deterministic share of it that a shard or a job runs.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/json.h"
#include "model/config.h"
#include "study/study_config.h"

namespace claw::study {

enum class ExperimentKind { kBase, kCompressed, kSpeed };
const char* kind_name(ExperimentKind kind);

// A model the study names, with the content hash that identifies it in keys.
struct StudyModel {
  std::string name{};
  std::string content_hash{};
  model::ModelConfig config{};  // for ratios solved from target_params
};

struct Experiment {
  ExperimentKind kind = ExperimentKind::kBase;
  // The first 16 hex digits of the hash of `config`, its recovery settings spelled as keys have
  // always spelled them (recover::recovery_settings_for_key).
  std::string key;
  Json config;  // everything that determines the result
  std::string model;
  std::string method;  // compressed and speed: the method's name (StudyConfig::method_named)
  double ratio = 0;
  std::optional<double> target_params;  // the fraction of parameters `ratio` was solved for
  std::int64_t tokens = 0;              // D
  recover::Objective objective = recover::Objective::kNextToken;  // of a recovery (D > 0)
  std::uint64_t seed = 0;
  std::string engine;  // speed: where it is measured (bench::kClawEngine, kLlamaCppEngine)
  // The compressed model's key: the same for every D of one model, method, ratio and seed.
  std::string compression_key;
  std::size_t group = 0;  // experiments of one group run together, in order

  // "prunenet r=0.5 D=25000 (stories260K)", "... D=25000 kd (...)" when distilled, for progress
  // and messages.
  std::string label() const;
};

struct StudyPlan {
  std::vector<Experiment> experiments;  // grouped: a group's experiments are adjacent
  std::size_t groups = 0;
};

StudyPlan make_plan(const StudyConfig& config, const std::vector<StudyModel>& models,
                    const std::string& dtype);

// One of `count` shares, "I/N" with 1 <= I <= N on the command line.
struct Share {
  int index = 0;  // 0-based
  int count = 1;
};
Share parse_share(const std::string& text, const std::string& flag);

// The base and compressed experiments of whole groups g with g mod N = I, split again among
// jobs: job j takes the share's k-th group when k mod jobs = j.
std::vector<const Experiment*> share_of(const StudyPlan& plan, Share shard, Share job);
// The shard's speed experiments. They are never split among jobs: timings taken beside other
// work would measure the contention.
std::vector<const Experiment*> speed_share_of(const StudyPlan& plan, Share shard);

// The hash key of a JSON document (canonical: nlohmann sorts object keys).
std::string json_key(const Json& config);

}  // namespace claw::study
