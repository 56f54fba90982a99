// The executors that run on this machine: in this process, or as worker processes sharing the
// study's store (SQLite in WAL mode takes their writes), one per device.
#include <spawn.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstring>
#include <thread>

#include "core/data_dir.h"
#include "core/error.h"
#include "core/format.h"
#include "core/log.h"
#include "core/progress.h"
#include "core/stop_signal.h"
#include "study/executor.h"

extern char** environ;

namespace claw::study {
namespace {

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
                            const std::vector<const Experiment*>& experiments) {
  std::int64_t n = 0;
  for (const Experiment* e : experiments) n += finished.count(e->key);
  return n;
}

Outcome run_in_process(Runner& runner, Store& store,
                       const std::vector<const Experiment*>& experiments) {
  const std::int64_t already = count_finished(store.finished_keys(), experiments);
  SweepDisplay display(static_cast<std::int64_t>(experiments.size()) - already);
  std::int64_t done = 0;
  RunCounts counts;
  {
    QuietStages quiet;
    counts = runner.run(
        experiments,
        [&](const Experiment& e, const std::string& stage) {
          display.stage(e.label() + ": " + stage);
        },
        [&](const Experiment& e, bool ok) {
          display.set_done(++done);
          if (!ok) log::warn(e.label(), " failed; recorded in the store, the sweep goes on");
        });
  }
  display.finish();
  return counts.stopped ? Outcome::kStopped : Outcome::kFinished;
}

// The shard's speed experiments, in this process and alone: timings taken beside other work
// would measure the contention.
Outcome run_speed(const StudyWork& work) {
  const std::vector<const Experiment*> speed = speed_share_of(work.plan, work.shard);
  if (speed.empty()) return Outcome::kFinished;
  return run_in_process(work.runner, work.store, speed);
}

class InProcessExecutor : public Executor {
 public:
  Outcome execute(const StudyWork& work) override {
    const Outcome sweep =
        run_in_process(work.runner, work.store, share_of(work.plan, work.shard, {0, 1}));
    return sweep == Outcome::kStopped ? sweep : run_speed(work);
  }
};

class LocalProcessesExecutor : public Executor {
 public:
  explicit LocalProcessesExecutor(std::vector<std::string> devices)
      : devices_(std::move(devices)) {}

  Outcome execute(const StudyWork& work) override {
    // The workers find the data where this process does.
    setenv("CLAW_DATA", data_dir().c_str(), 1);
    const int jobs = static_cast<int>(devices_.size());
    StudyCommand command = work.command;
    if (command.threads <= 0) {
      const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
      command.threads = std::max(1, static_cast<int>(cores) / jobs);
    }
    std::vector<pid_t> workers;
    for (int j = 1; j <= jobs; ++j) {
      const std::string device = devices_[static_cast<std::size_t>(j - 1)];
      std::vector<std::string> argv = {"claw"};
      for (std::string& a :
           command.arguments(work.shard_text, device, work.directory, concat(j, "/", jobs))) {
        argv.push_back(std::move(a));
      }
      workers.push_back(spawn(argv, j));
    }
    const std::vector<const Experiment*> sweep = share_of(work.plan, work.shard, {0, 1});
    const std::int64_t already = count_finished(work.store.finished_keys(), sweep);
    SweepDisplay display(static_cast<std::int64_t>(sweep.size()) - already);
    std::size_t running = workers.size();
    int failed = 0;
    bool passed_on = false;
    while (running > 0) {
      if (stop_requested() && !passed_on) {
        for (pid_t pid : workers) {
          if (pid != 0) kill(pid, SIGTERM);
        }
        passed_on = true;
      }
      for (pid_t& pid : workers) {
        int status = 0;
        if (pid == 0 || waitpid(pid, &status, WNOHANG) != pid) continue;
        pid = 0;
        --running;
        const bool ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
        const bool stopped = WIFEXITED(status) && WEXITSTATUS(status) == kStoppedExitCode;
        if (!ok && !(stopped && passed_on)) ++failed;
      }
      display.set_done(count_finished(work.store.finished_keys(), sweep) - already);
      display.stage(join(work.store.worker_stages()));
      if (running > 0) std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    display.finish();
    if (passed_on) return Outcome::kStopped;
    CLAW_CHECK(failed == 0, failed, " of ", jobs,
               " workers stopped with an error; re-run to finish the sweep");
    return run_speed(work);
  }

 private:
  static pid_t spawn(std::vector<std::string>& argv, int j) {
    std::vector<char*> pointers;
    for (std::string& a : argv) pointers.push_back(a.data());
    pointers.push_back(nullptr);
    pid_t pid = 0;
    const int rc = posix_spawn(&pid, "/proc/self/exe", nullptr, nullptr, pointers.data(), environ);
    CLAW_CHECK(rc == 0, "cannot start worker ", j, ": ", std::strerror(rc));
    return pid;
  }

  std::vector<std::string> devices_;
};

}  // namespace

std::unique_ptr<Executor> make_in_process_executor() {
  return std::make_unique<InProcessExecutor>();
}

std::unique_ptr<Executor> make_local_executor(std::vector<std::string> devices) {
  return std::make_unique<LocalProcessesExecutor>(std::move(devices));
}

}  // namespace claw::study
