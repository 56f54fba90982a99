// claw study: a whole sweep of models × methods × ratios × recovery budgets from one TOML file
// (or the embedded default) into a resumable SQLite store, then the law fits and the report; run
// here, by local workers, or as a Slurm job array. claw study status shows where a study stands.
#include <sys/prctl.h>

#include <algorithm>
#include <csignal>
#include <filesystem>

#include "bench/speed_comparison.h"
#include "cli/command.h"
#include "cli/runtime_flags.h"
#include "compress/method_registry.h"
#include "core/error.h"
#include "core/format.h"
#include "core/log.h"
#include "core/stop_signal.h"
#include "model/runtime.h"
#include "study/executor.h"
#include "study/plan.h"
#include "study/report.h"
#include "study/runner.h"
#include "study/slurm_executor.h"
#include "study/store.h"
#include "study/study_config.h"
#include "study/study_directory.h"
#include "study/study_status.h"

namespace claw::cli {
namespace fs = std::filesystem;
namespace {

// Said once, by the process that plans: the [speed] methods whose models llama.cpp cannot run,
// which make_plan() measures in claw only.
void warn_of_speed_left_out(const study::StudyConfig& config) {
  const std::vector<std::string>& engines = config.speed.engines;
  if (!config.speed.enabled ||
      std::find(engines.begin(), engines.end(), bench::kLlamaCppEngine) == engines.end()) {
    return;
  }
  for (const std::string& method : config.speed.methods) {
    if (!compress::method_info(method).runs_in_llama_cpp) {
      log::warn("[speed] measures ", method,
                " in claw only: its models do not run in llama.cpp (docs/formats.md)");
    }
  }
}

struct StudyArgs {
  std::string config, output, shard = "1/1", worker;
  bool quick = false, print_config = false, no_report = false, slurm = false;
  int jobs = 1;
  std::vector<std::string> devices;
  study::SlurmOptions slurm_options;
  RuntimeFlags runtime;
};

std::int64_t count_finished(const std::set<std::string>& finished,
                            const std::vector<const study::Experiment*>& experiments) {
  std::int64_t n = 0;
  for (const study::Experiment* e : experiments) n += finished.count(e->key);
  return n;
}

// The executor the flags ask for.
std::unique_ptr<study::Executor> choose_executor(const StudyArgs& args) {
  if (args.slurm) {
    study::SlurmOptions options = args.slurm_options;
    options.device = args.runtime.device;
    return study::make_slurm_executor(options);
  }
  if (args.jobs == 1 && args.devices.size() <= 1) return study::make_in_process_executor();
  const int jobs = args.devices.empty() ? args.jobs : static_cast<int>(args.devices.size());
  CLAW_CHECK(args.devices.empty() || args.jobs == 1 || args.jobs == jobs, "--jobs ", args.jobs,
             " and --devices (", args.devices.size(), " devices) disagree: give one of them");
  return study::make_local_executor(
      study::place_workers(jobs, args.runtime.device, args.devices, model::visible_cuda_devices()));
}

void print_summary(const StudyArgs& args, const fs::path& directory, const study::Store& store,
                   const std::vector<const study::Experiment*>& experiments, bool sharded) {
  const std::vector<study::Failure> failures = store.failures();
  const std::set<std::string> finished = store.finished_keys();
  std::int64_t unresolved = 0;
  for (const study::Failure& f : failures) unresolved += finished.count(f.experiment) == 0;
  std::printf("%lld of %zu experiments of this %s are in %s\n",
              static_cast<long long>(count_finished(finished, experiments)), experiments.size(),
              sharded ? "shard" : "study", store.path().c_str());
  if (unresolved > 0) {
    std::printf("%lld failure%s recorded (claw report lists them); re-run to retry\n",
                static_cast<long long>(unresolved), unresolved == 1 ? "" : "s");
  }
  if (sharded) {
    std::printf(
        "join the shards with `claw merge INTO.sqlite SHARD.sqlite...`, then `claw report`\n");
  } else if (!args.no_report) {
    const fs::path report = study::write_report(store, study::StudyDirectory(directory).report());
    std::printf("report: %s\n", report.c_str());
  }
}

void run_study(StudyArgs& args) {
  if (args.print_config) {
    std::fputs(study::default_study_toml().c_str(), stdout);
    return;
  }
  // Everything is checked before any work starts.
  const study::StudyConfig config =
      args.config.empty()
          ? study::parse_study_config(study::default_study_toml(), "default study", args.quick)
          : study::read_study_config(args.config, args.quick);
  const study::Share shard = study::parse_share(args.shard, "--shard");
  CLAW_CHECK(args.jobs >= 1, "--jobs must be at least 1, not ", args.jobs);
  CLAW_CHECK(!args.slurm || shard.count == 1,
             "--slurm cuts the study into shares itself; drop --shard");
  const fs::path directory =
      args.output.empty() ? fs::path(concat("study-", config.name, config.quick ? "-quick" : ""))
                          : fs::path(args.output);
  const model::LoadOptions load =
      args.slurm ? model::LoadOptions{torch::kCPU, model::parse_dtype(args.runtime.dtype)}
                 : args.runtime.apply();
  CLAW_CHECK(load.dtype.has_value(), "--dtype stored is not for studies: name the compute dtype");
  std::unique_ptr<study::Executor> executor = choose_executor(args);

  study::Store store(study::StudyDirectory(directory).store());
  store.meta_or_set("created", study::utc_now());
  store.meta_or_set("study_name", config.name);
  store.meta_or_set("study_config", config.text);
  const std::vector<study::ResolvedModel> models = study::resolve_study_models(config);
  std::vector<study::StudyModel> identities;
  for (const study::ResolvedModel& m : models) identities.push_back(m.identity);
  const study::StudyPlan plan = study::make_plan(config, identities, args.runtime.dtype);

  study::RunnerOptions options;
  options.directory = directory;
  options.device = load.device;
  options.dtype = *load.dtype;
  // SIGTERM (scancel, a time limit, preemption) stops at the next stage, keeping what finished.
  install_stop_handler();
  if (!args.worker.empty()) {
    // A worker of a parent's --jobs: it dies with the parent, so a killed study stops whole.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    options.worker = args.worker;
    study::Runner runner(config, models, store, options);
    const study::RunCounts counts = runner.run(
        study::share_of(plan, shard, study::parse_share(args.worker, "--worker")), {}, {});
    if (counts.stopped) std::exit(kStoppedExitCode);
    return;
  }

  std::vector<const study::Experiment*> experiments = study::share_of(plan, shard, {0, 1});
  for (const study::Experiment* e : study::speed_share_of(plan, shard)) experiments.push_back(e);
  if (!args.slurm) study::write_plan_index(directory, config.name, {experiments}, false);
  log::info("study '", config.name, "'", config.quick ? " (quick)" : "", ": ",
            plan.experiments.size(), " experiments",
            shard.count > 1 ? concat(", shard ", args.shard, " runs ", experiments.size()) : "",
            "; store ", store.path().string());
  warn_of_speed_left_out(config);
  study::Runner runner(config, models, store, options);
  study::StudyCommand command;
  if (!args.config.empty()) command.config = fs::absolute(args.config);
  command.quick = args.quick;
  command.dtype = args.runtime.dtype;
  command.threads = args.runtime.threads;
  const study::Outcome outcome =
      executor->execute({plan, shard, args.shard, directory, store, runner, command});
  if (outcome == study::Outcome::kSubmitted) return;
  if (outcome == study::Outcome::kStopped) {
    std::printf("stopped on request: %lld of %zu experiments are in %s; re-run to continue\n",
                static_cast<long long>(count_finished(store.finished_keys(), experiments)),
                experiments.size(), store.path().c_str());
    std::exit(kStoppedExitCode);
  }
  print_summary(args, directory, store, experiments, shard.count > 1);
}

std::string share_state(const study::ShareStatus& s) {
  if (s.slurm_state.empty()) return s.to_do + s.failed == 0 ? "done" : "-";
  return s.slurm_state;
}

void print_status(const fs::path& directory) {
  const study::StudyStatus status = study::read_study_status(directory);
  std::printf("study '%s' in %s", status.study.c_str(), directory.c_str());
  if (status.slurm && !status.slurm->submissions.empty()) {
    const study::SlurmSubmission& last = status.slurm->submissions.back();
    std::printf(" (Slurm: array job %s, finish job %s%s)",
                last.array_job.empty() ? "-" : last.array_job.c_str(), last.finish_job.c_str(),
                status.finish_state.empty() ? "" : (" " + status.finish_state).c_str());
  }
  std::printf("\n%-6s %6s %6s %6s  %-11s %s\n", "share", "done", "to do", "failed",
              status.slurm ? "slurm" : "state", "now");
  for (const study::ShareStatus& s : status.shares) {
    std::printf("%-6d %6lld %6lld %6lld  %-11s %s\n", s.share, static_cast<long long>(s.done),
                static_cast<long long>(s.to_do), static_cast<long long>(s.failed),
                share_state(s).c_str(), s.stages.empty() ? "" : join(s.stages).c_str());
  }
  const std::int64_t done = status.total(&study::ShareStatus::done);
  const std::int64_t to_do = status.total(&study::ShareStatus::to_do);
  const std::int64_t failed = status.total(&study::ShareStatus::failed);
  std::string eta = "ETA unknown until an experiment finishes";
  if (to_do == 0) {
    eta = "nothing left to run";
  } else if (status.mean_experiment_seconds > 0) {
    const std::string mean =
        concat(clock_text(status.mean_experiment_seconds), " per experiment on average");
    const int running = status.workers_at_work();
    eta = running == 0
              ? concat("nothing is running; ", clock_text(status.mean_experiment_seconds * to_do),
                       " of work left at ", mean)
              : concat("ETA ", clock_text(status.mean_experiment_seconds * to_do / running), " (",
                       mean, ", ", running, " worker", running == 1 ? "" : "s", " at work)");
  }
  std::printf("total  %lld of %lld done, %lld to do, %lld failed; %s\n",
              static_cast<long long>(done), static_cast<long long>(done + to_do + failed),
              static_cast<long long>(to_do), static_cast<long long>(failed), eta.c_str());
}

}  // namespace

void register_study(CLI::App& app) {
  auto args = std::make_shared<StudyArgs>();
  CLI::App* cmd = app.add_subcommand(
      "study",
      "Run a study (models × methods × ratios × recovery budgets) into a resumable store, fit "
      "the laws and write the report; here, on local workers, or on Slurm");
  cmd->add_option("config", args->config,
                  "study TOML (default: the embedded stories260K study; see --print-config)");
  cmd->add_option("--out", args->output,
                  "study directory: study.sqlite, models/, report/ (default: study-NAME, or "
                  "study-NAME-quick)");
  cmd->add_flag("--quick", args->quick, "apply the config's [quick] table: a sweep of minutes");
  cmd->add_option("--jobs", args->jobs,
                  "worker processes sharing the store (with --device cuda: spread over the "
                  "visible GPUs)")
      ->capture_default_str();
  cmd->add_option("--devices", args->devices,
                  "one worker per device, e.g. cuda:0,cuda:1 (in place of --jobs)")
      ->delimiter(',');
  cmd->add_option("--shard", args->shard,
                  "run share I of N (1-based) of the plan, e.g. on N machines; join with merge")
      ->capture_default_str();
  cmd->add_flag("--print-config", args->print_config, "print the embedded default study and exit");
  cmd->add_flag("--no-report", args->no_report, "stop after the sweep");
  cmd->add_option("--worker", args->worker, "internal: a worker of --jobs")->group("");

  const std::string slurm = "Slurm (docs/cluster.md)";
  study::SlurmOptions& s = args->slurm_options;
  cmd->add_flag("--slurm", args->slurm,
                "submit the study as a Slurm job array plus a job that merges the shares and "
                "writes the report")
      ->group(slurm);
  cmd->add_option("--partition", s.partition, "sbatch --partition")->group(slurm);
  cmd->add_option("--time", s.time, "each task's time limit (sbatch --time)")->group(slurm);
  cmd->add_option("--gpus-per-task", s.gpus_per_task,
                  "GPUs per array task; with more than one, one worker per GPU")
      ->group(slurm);
  cmd->add_option("--cpus-per-task", s.cpus_per_task, "CPUs per array task (and its --threads)")
      ->group(slurm);
  cmd->add_option("--array-size", s.array_size,
                  "shares the plan is cut into (default: one per compressed model, at most 1000)")
      ->group(slurm);
  cmd->add_option("--max-running", s.max_running, "array tasks running at once")->group(slurm);
  cmd->add_option("--sbatch-arg", s.sbatch_args,
                  "a further sbatch option for every job, e.g. \"--account=lab\" (repeatable)")
      ->group(slurm)
      ->allow_extra_args(false);
  cmd->add_flag("--dry-run", s.dry_run, "write DIR/slurm/*.sbatch and submit nothing")
      ->group(slurm);
  args->runtime.add_to(*cmd);
  cmd->callback([args, cmd] {
    if (cmd->got_subcommand("status")) return;
    run_study(*args);
  });

  auto status_dir = std::make_shared<std::string>();
  CLI::App* status = cmd->add_subcommand(
      "status",
      "Where a study stands: per share, experiments done / to do / failed, the current stage, "
      "the Slurm state, and the ETA");
  status->add_option("dir", *status_dir, "the study directory")->required();
  status->callback([status_dir] { print_status(*status_dir); });
}

}  // namespace claw::cli
