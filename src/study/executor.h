// How a study's share of the plan is run. The study command reads the config, builds the plan
// and opens the store; an executor then runs the work: in this process, as local worker
// processes (one per device), or as a Slurm job array (study/slurm_executor.h). The command line
// only chooses which.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "study/plan.h"
#include "study/runner.h"
#include "study/store.h"

namespace claw::study {

// What a process needs to run a share of this study exactly as this process would: the
// arguments of `claw study` that every worker, local or on a cluster node, is started with.
struct StudyCommand {
  std::filesystem::path config;  // the study TOML (absolute); empty: the embedded default
  bool quick = false;
  std::string dtype = "f32";  // compute dtype
  int threads = 0;            // per worker; 0: the worker's own default

  // `claw study` arguments that run share `shard` ("I/N") of the plan on `device` into the study
  // directory `out`; `worker` ("J/M"): as worker J of M sharing that directory's store.
  std::vector<std::string> arguments(const std::string& shard, const std::string& device,
                                     const std::filesystem::path& out,
                                     const std::string& worker = "") const;
};

// One invocation's work: a shard of the plan, and what it runs with.
struct StudyWork {
  const StudyPlan& plan;
  Share shard;
  std::string shard_text;  // as given, "I/N"
  const std::filesystem::path& directory;
  Store& store;
  Runner& runner;
  const StudyCommand& command;
};

enum class Outcome {
  kFinished,   // every experiment of the shard ran (some may have failed)
  kStopped,    // a stop was requested; what finished is kept
  kSubmitted,  // handed to a scheduler, which runs it later
};

class Executor {
 public:
  virtual ~Executor() = default;
  virtual Outcome execute(const StudyWork& work) = 0;
};

// In this process, with a progress display.
std::unique_ptr<Executor> make_in_process_executor();

// One worker process per entry of `devices` ("cpu", "cuda:1"), sharing the study's store, each
// running its part of the shard's groups; the speed experiments then run in this process, alone,
// so that their timings measure no contention. SIGTERM is passed on to the workers.
std::unique_ptr<Executor> make_local_executor(std::vector<std::string> devices);

// The device of each of `jobs` local workers: `devices` as listed (its length must equal jobs,
// when given), else `device` for all, where a bare "cuda" spreads the workers over the
// `visible_cuda_devices` in turn (inside a Slurm task those are the GPUs Slurm gave it).
std::vector<std::string> place_workers(int jobs, const std::string& device,
                                       const std::vector<std::string>& devices,
                                       int visible_cuda_devices);

}  // namespace claw::study
