// Where a study stands: DIR/plan.json lists every experiment of the directory with the share
// that runs it, written when the study starts or is submitted; the status compares it with the
// shares' stores and, on Slurm, with what the scheduler says.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "study/plan.h"
#include "study/slurm_executor.h"

namespace claw::study {

// Writes DIR/plan.json. `shares[i]` holds the experiments of share i + 1; `slurm`: each share
// has its own store (StudyDirectory::shard_store), else they all share DIR/study.sqlite.
void write_plan_index(const std::filesystem::path& directory, const std::string& study,
                      const std::vector<std::vector<const Experiment*>>& shares, bool slurm);

struct ShareStatus {
  int share = 0;  // 1-based
  std::int64_t done = 0, to_do = 0, failed = 0;
  std::vector<std::string> stages;  // what its workers are doing now ("label: stage")
  std::string slurm_state;          // empty: not on Slurm, or no longer known to it
};

struct StudyStatus {
  std::string study;
  std::vector<ShareStatus> shares;
  std::optional<SlurmRecord> slurm;
  std::string finish_state;            // the finish job's Slurm state
  double mean_experiment_seconds = 0;  // over the finished experiments; 0 when none
  // Workers at work now: those with a stage recorded, and at least one per share Slurm runs.
  int workers_at_work() const;
  std::int64_t total(std::int64_t ShareStatus::*count) const;
};

// An error when DIR holds no plan.json (no study started or submitted there).
StudyStatus read_study_status(const std::filesystem::path& directory);

}  // namespace claw::study
