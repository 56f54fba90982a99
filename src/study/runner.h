// Runs a share of a study's plan into the store: each experiment not yet there, a group at a
// time. A compressed model is written once under models/<compression key>/ and reused by every
// recovery budget and by later runs; a failing experiment is recorded with its stage and message
// and the sweep goes on.
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "model/model.h"
#include "recover/recovery.h"
#include "study/evaluation.h"
#include "study/plan.h"
#include "study/store.h"
#include "study/study_config.h"
#include "text/tokenizer.h"

namespace claw::study {

// A study model found on disk, with what keys and runs need.
struct ResolvedModel {
  StudyModel identity;
  std::filesystem::path path;
  std::filesystem::path tokenizer;
};
// Finds and hashes every model the study names; an error names the missing one.
std::vector<ResolvedModel> resolve_study_models(const StudyConfig& config);

struct RunnerOptions {
  std::filesystem::path directory;  // the study directory (compressed models go to models/)
  torch::Device device = torch::kCPU;
  torch::ScalarType dtype = torch::kFloat32;  // compute dtype
  std::string worker = "1";                   // names this process in the store's worker table
};

struct RunCounts {
  std::int64_t finished = 0, failed = 0, skipped = 0;  // skipped: already in the store
  bool stopped = false;  // a stop was requested (SIGTERM); what finished is kept
};

class Runner {
 public:
  // Called when an experiment enters a stage ("compress", "recover", "evaluate", "bench"), and
  // when it is done (ok false: failed, recorded as a failure).
  using StageCallback = std::function<void(const Experiment&, const std::string& stage)>;
  using DoneCallback = std::function<void(const Experiment&, bool ok)>;

  Runner(const StudyConfig& config, std::vector<ResolvedModel> models, Store& store,
         RunnerOptions options);
  ~Runner();

  // Runs the experiments not yet in the store. Between stages it honours a stop request
  // (core/stop_signal.h): the experiment in progress is abandoned, unrecorded, and run() returns.
  RunCounts run(const std::vector<const Experiment*>& experiments, const StageCallback& on_stage,
                const DoneCallback& on_done);

 private:
  struct Tally {
    const StageCallback& on_stage;
    const DoneCallback& on_done;
    RunCounts counts;
  };
  class Attempt;
  struct CompressedModel {
    std::filesystem::path directory, relative;  // relative: to the study directory
    std::string content_hash;                   // once loaded
  };

  void run_base(const Experiment& e, Tally& tally);
  void run_compressed_group(const std::vector<const Experiment*>& group, Tally& tally);
  void run_speed(const Experiment& e, Tally& tally);
  // Writes the compressed model of `e` and returns the record it built, or, when an earlier run
  // wrote it, that run's compression.json.
  Json compress(const Experiment& e, Attempt& attempt, CompressedModel& out);
  const ResolvedModel& model_named(const std::string& name) const;
  const text::Tokenizer& tokenizer_of(const ResolvedModel& model);
  const recover::RecoveryData& recovery_data(const ResolvedModel& model);

  const StudyConfig& config_;
  std::vector<ResolvedModel> models_;
  Store& store_;
  RunnerOptions options_;
  StudyEvaluation evaluation_;
  std::vector<std::unique_ptr<text::Tokenizer>> tokenizers_;    // per model, loaded on first use
  std::map<std::string, recover::RecoveryData> recovery_data_;  // per model, on first use
  std::optional<model::Model> speed_base_;
};

}  // namespace claw::study
