// Studies on a Slurm cluster: the shard's plan is cut into N shares, run by a job array (task I
// runs share I into DIR/shards/I/, its own store), and a job that depends on the array merges
// the shares' stores into DIR/study.sqlite and writes the report, even when some tasks failed.
// Submissions are recorded in DIR/slurm/jobs.json: a second submission while they are queued or
// running is refused, and one after they ended submits only the shares with work left.
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "study/executor.h"

namespace claw::study {

struct SlurmOptions {
  std::string partition, time;  // empty: the cluster's defaults
  int gpus_per_task = 0, cpus_per_task = 0;
  int array_size = 0;   // shares; 0: one per group of the plan (at most kMaxArraySize)
  int max_running = 0;  // tasks running at once; 0: no limit
  std::vector<std::string> sbatch_args;  // further sbatch options, one "#SBATCH" line each
  bool dry_run = false;                  // write the scripts, submit nothing
  std::string device = "cpu";            // each task's --device ("cuda": the GPUs Slurm gives it)
};

// Slurm's default MaxArraySize is 1001, so task ids up to 1000.
inline constexpr int kMaxArraySize = 1000;

std::unique_ptr<Executor> make_slurm_executor(SlurmOptions options);

// What DIR/slurm/jobs.json records.
struct SlurmSubmission {
  std::string at;          // UTC
  std::string array_job;   // empty when every share was done
  std::vector<int> tasks;  // the shares submitted
  std::string finish_job;
};
struct SlurmRecord {
  int shares = 0;
  std::vector<SlurmSubmission> submissions;
};
std::optional<SlurmRecord> read_slurm_record(const std::filesystem::path& directory);

// The Slurm state of each share of the latest submission that squeue (or sacct, where
// accounting exists) still knows ("PENDING", "RUNNING", "COMPLETED", ...), and of the finish job
// under key 0. Shares Slurm no longer knows are absent.
std::map<int, std::string> slurm_states(const SlurmRecord& record);

}  // namespace claw::study
