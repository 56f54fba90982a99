// claw study: a whole sweep of models × methods × ratios × recovery budgets from one TOML file
// (or the embedded default) into a resumable SQLite store, then the law fits and the report.
// claw merge joins the stores of shards.
#include <spawn.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <thread>

#include "cli/command.h"
#include "cli/runtime_flags.h"
#include "core/data_dir.h"
#include "core/error.h"
#include "core/log.h"
#include "core/progress.h"
#include "model/runtime.h"
#include "study/plan.h"
#include "study/report.h"
#include "study/runner.h"
#include "study/store.h"
#include "study/study_config.h"

extern char** environ;

namespace claw::cli {
namespace fs = std::filesystem;
namespace {

constexpr const char* kStoreName = "study.sqlite";

struct StudyArgs {
  std::string config, output, shard = "1/1", worker;
  bool quick = false, print_config = false, no_report = false;
  int jobs = 1;
  RuntimeFlags runtime;
};

// Shows the sweep: experiments done of those this run has to do, rate and ETA, and the stage
// the current experiment is in.
class SweepDisplay {
 public:
  // `to_do`: the experiments not yet in the store, which the rate and ETA are about.
  explicit SweepDisplay(std::int64_t to_do) : progress_("study", to_do, "experiments") {}
  void stage(const std::string& what) {
    progress_.set_detail(what);
    progress_.update(done_);
  }
  void set_done(std::int64_t done) {
    done_ = done;
    progress_.update(done_);
  }
  void finish() { progress_.finish(); }

 private:
  Progress progress_;
  std::int64_t done_ = 0;
};

// Quiet stages: the study's display replaces each stage's own progress bars and messages.
class QuietStages {
 public:
  QuietStages() : saved_(log::level()) {
    if (saved_ < log::Level::kDebug) log::set_level(log::Level::kQuiet);
  }
  ~QuietStages() { log::set_level(saved_); }

 private:
  log::Level saved_;
};

std::int64_t count_finished(const std::set<std::string>& finished,
                            const std::vector<const study::Experiment*>& experiments) {
  std::int64_t n = 0;
  for (const study::Experiment* e : experiments) n += finished.count(e->key);
  return n;
}

study::RunCounts run_in_process(study::Runner& runner, study::Store& store,
                                const std::vector<const study::Experiment*>& experiments) {
  const std::int64_t already = count_finished(store.finished_keys(), experiments);
  SweepDisplay display(static_cast<std::int64_t>(experiments.size()) - already);
  std::int64_t done = 0;
  study::RunCounts counts;
  {
    QuietStages quiet;
    counts = runner.run(
        experiments,
        [&](const study::Experiment& e, const std::string& stage) {
          display.stage(e.label() + ": " + stage);
        },
        [&](const study::Experiment& e, bool ok) {
          display.set_done(++done);
          if (!ok) log::warn(e.label(), " failed; recorded in the store, the sweep goes on");
        });
  }
  display.finish();
  return counts;
}

// --jobs N: N worker processes share the store, each running a job's share; the parent shows
// their progress from the store and waits.
void run_jobs(const StudyArgs& args, const fs::path& directory, study::Store& store,
              const std::vector<const study::Experiment*>& experiments) {
  // The workers find the data where this process does.
  setenv("CLAW_DATA", data_dir().c_str(), 1);
  std::vector<pid_t> workers;
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  const int threads = args.runtime.threads > 0 ? args.runtime.threads
                                               : std::max(1, static_cast<int>(cores) / args.jobs);
  for (int j = 1; j <= args.jobs; ++j) {
    std::vector<std::string> argv = {"claw",
                                     "--quiet",
                                     "study",
                                     "--out",
                                     directory,
                                     "--shard",
                                     args.shard,
                                     "--worker",
                                     concat(j, "/", args.jobs),
                                     "--device",
                                     args.runtime.device,
                                     "--dtype",
                                     args.runtime.dtype,
                                     "--threads",
                                     std::to_string(threads)};
    if (!args.config.empty()) argv.push_back(args.config);
    if (args.quick) argv.push_back("--quick");
    std::vector<char*> pointers;
    for (std::string& a : argv) pointers.push_back(a.data());
    pointers.push_back(nullptr);
    pid_t pid = 0;
    const int rc = posix_spawn(&pid, "/proc/self/exe", nullptr, nullptr, pointers.data(), environ);
    CLAW_CHECK(rc == 0, "cannot start worker ", j, ": ", std::strerror(rc));
    workers.push_back(pid);
  }
  const std::int64_t already = count_finished(store.finished_keys(), experiments);
  SweepDisplay display(static_cast<std::int64_t>(experiments.size()) - already);
  std::size_t running = workers.size();
  int failed_workers = 0;
  while (running > 0) {
    for (pid_t& pid : workers) {
      if (pid == 0) continue;
      int status = 0;
      if (waitpid(pid, &status, WNOHANG) == pid) {
        pid = 0;
        --running;
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) ++failed_workers;
      }
    }
    display.set_done(count_finished(store.finished_keys(), experiments) - already);
    std::string stages;
    for (const std::string& s : store.worker_stages()) stages += (stages.empty() ? "" : "; ") + s;
    display.stage(stages);
    if (running > 0) std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  display.finish();
  CLAW_CHECK(failed_workers == 0, failed_workers, " of ", args.jobs,
             " workers stopped with an error; re-run to finish the sweep");
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
  const fs::path directory =
      args.output.empty() ? fs::path(concat("study-", config.name, config.quick ? "-quick" : ""))
                          : fs::path(args.output);
  const model::LoadOptions load = args.runtime.apply();
  const std::string dtype = args.runtime.dtype;
  CLAW_CHECK(load.dtype.has_value(), "--dtype stored is not for studies: name the compute dtype");

  study::Store store(directory / kStoreName);
  store.meta_or_set("created", study::utc_now());
  store.meta_or_set("study_name", config.name);
  store.meta_or_set("study_config", config.text);
  const std::vector<study::ResolvedModel> models = study::resolve_study_models(config);
  std::vector<study::StudyModel> identities;
  for (const study::ResolvedModel& m : models) identities.push_back(m.identity);
  const study::StudyPlan plan = study::make_plan(config, identities, dtype);

  study::RunnerOptions options;
  options.directory = directory;
  options.device = load.device;
  options.dtype = *load.dtype;
  if (!args.worker.empty()) {
    // A worker of a parent's --jobs: it dies with the parent, so a killed study stops whole.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    options.worker = args.worker;
    study::Runner runner(config, models, store, options);
    QuietStages quiet;
    runner.run(study::share_of(plan, shard, study::parse_share(args.worker, "--worker")), {}, {});
    return;
  }

  const std::vector<const study::Experiment*> sweep = study::share_of(plan, shard, {0, 1});
  const std::vector<const study::Experiment*> speed = study::speed_share_of(plan, shard);
  log::info(
      "study '", config.name, "'", config.quick ? " (quick)" : "", ": ", plan.experiments.size(),
      " experiments",
      shard.count > 1 ? concat(", shard ", args.shard, " runs ", sweep.size() + speed.size()) : "",
      "; store ", store.path().string());
  study::Runner runner(config, models, store, options);
  if (args.jobs > 1) {
    run_jobs(args, directory, store, sweep);
  } else {
    run_in_process(runner, store, sweep);
  }
  if (!speed.empty()) run_in_process(runner, store, speed);

  const std::vector<study::Failure> failures = store.failures();
  const std::set<std::string> finished = store.finished_keys();
  std::int64_t unresolved = 0;
  for (const study::Failure& f : failures) unresolved += finished.count(f.experiment) == 0;
  const std::int64_t done = count_finished(finished, sweep) + count_finished(finished, speed);
  std::printf("%lld of %zu experiments of this %s are in %s\n", static_cast<long long>(done),
              sweep.size() + speed.size(), shard.count > 1 ? "shard" : "study",
              store.path().c_str());
  if (unresolved > 0) {
    std::printf("%lld failure%s recorded (claw report lists them); re-run to retry\n",
                static_cast<long long>(unresolved), unresolved == 1 ? "" : "s");
  }
  if (shard.count > 1) {
    std::printf(
        "join the shards with `claw merge INTO.sqlite SHARD.sqlite...`, then `claw report`\n");
  } else if (!args.no_report) {
    const fs::path report = study::write_report(store, directory / "report");
    std::printf("report: %s\n", report.c_str());
  }
}

}  // namespace

void register_study(CLI::App& app) {
  auto args = std::make_shared<StudyArgs>();
  CLI::App* cmd = app.add_subcommand(
      "study",
      "Run a study (models × methods × ratios × recovery budgets) into a resumable store, fit "
      "the laws and write the report");
  cmd->add_option("config", args->config,
                  "study TOML (default: the embedded stories260K study; see --print-config)");
  cmd->add_option("--out", args->output,
                  "study directory: study.sqlite, models/, report/ (default: study-NAME, or "
                  "study-NAME-quick)");
  cmd->add_flag("--quick", args->quick, "apply the config's [quick] table: a sweep of minutes");
  cmd->add_option("--jobs", args->jobs, "worker processes sharing the cores")
      ->capture_default_str();
  cmd->add_option("--shard", args->shard,
                  "run share I of N (1-based) of the plan, e.g. on N machines; join with merge")
      ->capture_default_str();
  cmd->add_flag("--print-config", args->print_config, "print the embedded default study and exit");
  cmd->add_flag("--no-report", args->no_report, "stop after the sweep");
  cmd->add_option("--worker", args->worker, "internal: a worker of --jobs")->group("");
  args->runtime.add_to(*cmd);
  cmd->callback([args] { run_study(*args); });
}

}  // namespace claw::cli
