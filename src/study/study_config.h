// A study: which models, methods, ratios, recovery budgets, evaluations and speed settings to
// sweep, read from TOML (docs/study.md lists every key). Without a file, the embedded default
// (src/study/default_study.toml) is used.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "bench/speed_comparison.h"
#include "core/json.h"
#include "recover/recovery.h"

namespace claw::study {

struct MethodSpec {
  std::string name;  // a registered method (compress/methods.def)
  Json options;      // complete: every option of the method, defaults filled in
  // Everything that determines the compressed model but the seed, for keys and records.
  Json settings() const;
};

struct LossTask {
  std::string task;               // a corpus name
  std::int64_t limit_tokens = 0;  // 0: the whole split
};

struct EvaluationSpec {
  std::vector<LossTask> loss;
  std::vector<std::string> zero_shot;  // task names
  std::int64_t zero_shot_limit = 0;    // items per task; 0: all
  std::int64_t batch = 8;
  Json settings() const;
};

struct RecoverySpec {
  std::vector<std::int64_t> budgets;  // D values; 0 is no recovery
  // Each budget D > 0 is trained once per objective; distillation's teacher is each model's own
  // uncompressed base.
  std::vector<recover::Objective> objectives = {recover::Objective::kNextToken};
  recover::RecoveryOptions options;  // options.tokens and options.teacher are set per experiment

  // The options of one experiment: D = tokens, its seed, and for distillation the teacher.
  recover::RecoveryOptions options_for(std::int64_t tokens, std::uint64_t seed,
                                       recover::Objective objective,
                                       const std::string& teacher) const;
};

struct SpeedSpec {
  bool enabled = false;
  std::string model;      // a model argument, or
  std::string preset;     // a preset's shapes, randomly initialised in memory
  std::string tokenizer;  // for SliceGPT's calibration on a preset
  // The engines measured, each a speed experiment of its own: bench::kClawEngine and
  // bench::kLlamaCppEngine.
  std::vector<std::string> engines = {"claw"};
  // claw computes in it and llama.cpp reads GGUF tensors of it; q8_0 is llama.cpp's alone.
  std::string dtype = "bf16";
  std::vector<std::string> methods;
  std::vector<double> ratios;
  Json calibration;  // calib, calib_samples and calib_len for calibration-based methods
  bench::SpeedOptions options;
  Json settings() const;
};

struct StudyConfig {
  std::string name;
  std::string source;  // the file, or "default study"
  std::string text;    // the TOML as read
  bool quick = false;
  std::vector<std::string> models;
  std::vector<MethodSpec> methods;
  std::vector<double> ratios;
  // In place of ratios: fractions of non-embedding parameters to remove, each method's ratio
  // solved per model (compress/parameter_target.h).
  std::vector<double> target_params;
  std::vector<std::uint64_t> seeds;
  RecoverySpec recovery;
  EvaluationSpec evaluation;
  SpeedSpec speed;

  // The method of [methods.NAME], or null.
  const MethodSpec* method_named(const std::string& name) const;
};

// The embedded default study's TOML.
const std::string& default_study_toml();

// Parses and checks a study. With `quick`, the [quick] table's keys replace the ones they name
// (tables merged key by key). Unknown keys, wrong types, unknown methods, datasets or tasks and
// out-of-range values are errors naming the source, line and key.
StudyConfig parse_study_config(const std::string& toml, const std::string& source, bool quick);
StudyConfig read_study_config(const std::filesystem::path& path, bool quick);

}  // namespace claw::study
