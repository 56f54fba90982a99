#include "study/slurm_executor.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

#include "core/atomic_file.h"
#include "core/data_dir.h"
#include "core/error.h"
#include "core/format.h"
#include "core/json.h"
#include "core/subprocess.h"
#include "study/study_directory.h"
#include "study/study_status.h"

namespace claw::study {
namespace fs = std::filesystem;

namespace {

// Stands for the array task's id in a command's arguments; the script expands it.
constexpr const char* kTaskId = "@TASK@";

// One shell word, with kTaskId left for the shell to expand.
std::string script_word(const std::string& argument) {
  std::string out;
  std::size_t start = 0;
  for (std::size_t at; (at = argument.find(kTaskId, start)) != std::string::npos;) {
    if (at > start) out += shell_quote(argument.substr(start, at - start));
    out += "\"$SLURM_ARRAY_TASK_ID\"";
    start = at + std::strlen(kTaskId);
  }
  if (start < argument.size() || out.empty()) out += shell_quote(argument.substr(start));
  return out;
}

std::string command_line(const std::vector<std::string>& argv) {
  std::string out;
  for (const std::string& a : argv) out += (out.empty() ? "" : " ") + script_word(a);
  return out;
}

// "1-3,5,8-9" for the tasks 1, 2, 3, 5, 8, 9.
std::string array_ranges(const std::vector<int>& tasks) {
  std::string out;
  for (std::size_t i = 0; i < tasks.size();) {
    std::size_t j = i;
    while (j + 1 < tasks.size() && tasks[j + 1] == tasks[j] + 1) ++j;
    out += (out.empty() ? "" : ",") + std::to_string(tasks[i]);
    if (j > i) out += "-" + std::to_string(tasks[j]);
    i = j + 1;
  }
  return out;
}

// A job id from `sbatch --parsable` ("123" or "123;cluster").
std::string parsable_job_id(const std::string& out) {
  const std::string line = out.substr(0, out.find_first_of(";\n"));
  CLAW_CHECK(!line.empty() && std::all_of(line.begin(), line.end(), ::isdigit),
             "sbatch printed no job id: ", out);
  return line;
}

// Fails with one line saying why Slurm did not do what was asked.
[[noreturn]] void slurm_failure(const std::string& what, const CommandOutput& result) {
  const std::string why = result.last_line();
  if (why.find("Unable to contact slurm controller") != std::string::npos ||
      why.find("Connection refused") != std::string::npos) {
    CLAW_FAIL("the Slurm controller cannot be reached (", why, ")");
  }
  CLAW_FAIL("Slurm refused ", what, ": ", why);
}

Json record_to_json(const SlurmRecord& record) {
  Json submissions = Json::array();
  for (const SlurmSubmission& s : record.submissions) {
    submissions.push_back({{"at", s.at},
                           {"array_job", s.array_job},
                           {"tasks", s.tasks},
                           {"finish_job", s.finish_job}});
  }
  return {{"shares", record.shares}, {"submissions", submissions}};
}

// The jobs of the last submission that squeue still lists, as "ID (STATE)".
std::vector<std::string> queued_jobs(const SlurmRecord& record) {
  std::vector<std::string> queued;
  if (record.submissions.empty()) return queued;
  const SlurmSubmission& last = record.submissions.back();
  for (const std::string& job : {last.array_job, last.finish_job}) {
    if (job.empty()) continue;
    const CommandOutput q = run_command({"squeue", "-h", "-r", "-j", job, "-o", "%T"});
    if (q.exit_code != 0) {
      // A job the controller has forgotten is no longer queued.
      if (q.out.find("Invalid job id") != std::string::npos) continue;
      slurm_failure("a query of the study's jobs", q);
    }
    std::map<std::string, int> states;
    std::istringstream lines(q.out);
    for (std::string state; std::getline(lines, state);) {
      if (!state.empty()) ++states[state];
    }
    if (!states.empty()) {
      queued.push_back(
          concat(job, " (",
                 join(states, [](const auto& s) { return concat(s.second, " ", s.first); }), ")"));
    }
  }
  return queued;
}

class SlurmExecutor : public Executor {
 public:
  explicit SlurmExecutor(SlurmOptions options) : options_(std::move(options)) {}

  Outcome execute(const StudyWork& work) override {
    const fs::path dir = fs::absolute(work.directory).lexically_normal();
    std::optional<SlurmRecord> record = read_slurm_record(dir);
    const int shares = share_count(work.plan, record);
    if (record && !options_.dry_run) {
      const std::vector<std::string> queued = queued_jobs(*record);
      CLAW_CHECK(queued.empty(), "this study's jobs are still queued or running: ", join(queued),
                 "; wait for them to end (claw study status ", dir.string(),
                 ") or scancel them, then submit again");
    }
    std::vector<std::vector<const Experiment*>> experiments;
    std::vector<int> tasks;
    for (int share = 1; share <= shares; ++share) {
      const Share cut{share - 1, shares};
      std::vector<const Experiment*> e = share_of(work.plan, cut, {0, 1});
      for (const Experiment* s : speed_share_of(work.plan, cut)) e.push_back(s);
      if (has_work_left(dir, share, e)) tasks.push_back(share);
      experiments.push_back(std::move(e));
    }
    fs::create_directories(StudyDirectory(dir).slurm_logs());
    write_plan_index(dir, work.store.meta("study_name").value_or("study"), experiments, true);
    const fs::path array_script = StudyDirectory(dir).shards_script();
    const fs::path finish_script = StudyDirectory(dir).finish_script();
    write_file_atomic(array_script, shares_script(work, dir, shares, tasks));
    write_file_atomic(finish_script, finish_script_text(work, dir));
    const std::string plan = tasks.empty() ? std::string("every share is done; only the finish job")
                                           : concat(tasks.size(), " of ", shares, " shares (tasks ",
                                                    array_ranges(tasks), ") and the finish job");
    if (options_.dry_run) {
      std::printf("dry run: would submit %s\n  %s\n  %s\n", plan.c_str(), array_script.c_str(),
                  finish_script.c_str());
      return Outcome::kSubmitted;
    }
    CLAW_CHECK(on_path("sbatch"),
               "sbatch is not on PATH: run claw study --slurm where Slurm's commands are (a "
               "login node), or pass --dry-run to write the scripts only");
    SlurmSubmission submission;
    submission.at = utc_now();
    submission.tasks = tasks;
    std::vector<std::string> finish = {"sbatch", "--parsable"};
    if (!tasks.empty()) {
      submission.array_job = submit({"sbatch", "--parsable", array_script.string()});
      finish.push_back("--dependency=afterany:" + submission.array_job);
    }
    finish.push_back(finish_script.string());
    submission.finish_job = submit(finish);
    if (!record) record = SlurmRecord{shares, {}};
    record->submissions.push_back(submission);
    write_file_atomic(StudyDirectory(dir).jobs_record(), record_to_json(*record).dump(2) + "\n");
    std::printf("submitted %s: array job %s, finish job %s\nwatch it with: claw study status %s\n",
                plan.c_str(), submission.array_job.empty() ? "-" : submission.array_job.c_str(),
                submission.finish_job.c_str(), dir.c_str());
    return Outcome::kSubmitted;
  }

 private:
  // The shares the plan is cut into: as recorded for this study, else as asked, else one per
  // group.
  int share_count(const StudyPlan& plan, const std::optional<SlurmRecord>& record) const {
    if (record) {
      CLAW_CHECK(options_.array_size == 0 || options_.array_size == record->shares,
                 "this study was cut into ", record->shares, " shares when first submitted; ",
                 "its shards hold their results, so --array-size cannot change to ",
                 options_.array_size);
      return record->shares;
    }
    CLAW_CHECK(options_.array_size >= 0 && options_.array_size <= kMaxArraySize,
               "--array-size must be between 1 and ", kMaxArraySize);
    const int groups = std::max<int>(1, static_cast<int>(plan.groups));
    return options_.array_size > 0 ? options_.array_size : std::min(groups, kMaxArraySize);
  }

  static bool has_work_left(const fs::path& dir, int share,
                            const std::vector<const Experiment*>& experiments) {
    if (experiments.empty()) return false;
    const fs::path store_path = StudyDirectory(dir).shard_store(share);
    if (!fs::exists(store_path)) return true;
    const std::set<std::string> finished = Store(store_path).finished_keys();
    return std::any_of(experiments.begin(), experiments.end(),
                       [&](const Experiment* e) { return finished.count(e->key) == 0; });
  }

  std::string submit(const std::vector<std::string>& argv) const {
    const CommandOutput result = run_command(argv);
    if (result.exit_code != 0) slurm_failure("the submission", result);
    return parsable_job_id(result.out);
  }

  // The #SBATCH lines every job of the study has.
  std::string common_headers(const std::string& name) const {
    std::string out = concat("#SBATCH --job-name=", name,
                             "\n#SBATCH --chdir=", fs::current_path().string(), "\n");
    if (!options_.partition.empty()) out += "#SBATCH --partition=" + options_.partition + "\n";
    if (!options_.time.empty()) out += "#SBATCH --time=" + options_.time + "\n";
    for (const std::string& a : options_.sbatch_args) out += "#SBATCH " + a + "\n";
    return out;
  }

  static std::string claw_binary() { return fs::read_symlink("/proc/self/exe").string(); }

  std::string shares_script(const StudyWork& work, const fs::path& dir, int shares,
                            const std::vector<int>& tasks) const {
    const std::string study = work.store.meta("study_name").value_or("study");
    std::string array = tasks.empty() ? "1" : array_ranges(tasks);
    if (options_.max_running > 0) array += "%" + std::to_string(options_.max_running);
    StudyCommand command = work.command;
    if (options_.cpus_per_task > 0) command.threads = options_.cpus_per_task;
    std::vector<std::string> argv = {claw_binary()};
    for (std::string& a : command.arguments(concat(kTaskId, "/", shares), options_.device,
                                            StudyDirectory(dir).shards() / kTaskId)) {
      argv.push_back(std::move(a));
    }
    argv.push_back("--no-report");
    if (options_.gpus_per_task > 1) {
      // One local worker per GPU of the task; CUDA_VISIBLE_DEVICES holds the ones Slurm gave.
      argv.push_back("--jobs");
      argv.push_back(std::to_string(options_.gpus_per_task));
    }
    std::string out = concat(
        "#!/bin/bash\n", "# claw study --slurm: task I of this array runs share I of ", shares,
        " of study '", study, "' into\n# ", StudyDirectory(dir).shards().string(),
        "/I/. A task stopped by SIGTERM (scancel, its time limit, preemption)\n",
        "# keeps what it finished and exits 143; claw study --slurm again submits what is left.\n",
        common_headers("claw-" + study), "#SBATCH --array=", array, "\n",
        "#SBATCH --output=", StudyDirectory(dir).slurm_logs().string(), "/share-%a-%A.out\n");
    if (options_.cpus_per_task > 0) {
      out += concat("#SBATCH --cpus-per-task=", options_.cpus_per_task, "\n");
    }
    if (options_.gpus_per_task > 0) {
      out += concat("#SBATCH --gpus-per-task=", options_.gpus_per_task, "\n");
    }
    out += concat("export CLAW_DATA=", shell_quote(fs::absolute(data_dir()).string()), "\n",
                  "exec ", command_line(argv), "\n");
    return out;
  }

  std::string finish_script_text(const StudyWork& work, const fs::path& dir) const {
    const std::string study = work.store.meta("study_name").value_or("study");
    const std::string claw = shell_quote(claw_binary());
    const StudyDirectory layout(dir);
    const std::string merged = shell_quote(layout.store().string());
    return concat(
        "#!/bin/bash\n", "# claw study --slurm: merges the shares' stores of study '", study,
        "' into\n# ", layout.store().string(),
        " and writes its report. It runs once the array has ended,\n",
        "# whatever its tasks' outcome, so a failed share still leaves a report of the rest.\n",
        common_headers("claw-" + study + "-finish"),
        "#SBATCH --output=", layout.slurm_logs().string(), "/finish-%j.out\n",
        "set -euo pipefail\n", "shopt -s nullglob\n",
        "export CLAW_DATA=", shell_quote(fs::absolute(data_dir()).string()), "\n", "stores=(",
        shell_quote(layout.shards().string() + "/"), "*/", StudyDirectory::kStoreName, ")\n",
        "if ((${#stores[@]} > 0)); then ", claw, " merge ", merged, " \"${stores[@]}\"; fi\n",
        "exec ", claw, " report ", merged, "\n");
  }

  SlurmOptions options_;
};

}  // namespace

std::unique_ptr<Executor> make_slurm_executor(SlurmOptions options) {
  return std::make_unique<SlurmExecutor>(std::move(options));
}

std::optional<SlurmRecord> read_slurm_record(const fs::path& directory) {
  const fs::path path = StudyDirectory(directory).jobs_record();
  if (!fs::exists(path)) return std::nullopt;
  const Json j = read_json_file(path);
  SlurmRecord record;
  record.shares = j.at("shares").get<int>();
  for (const Json& s : j.at("submissions")) {
    record.submissions.push_back(
        {s.at("at"), s.at("array_job"), s.at("tasks"), s.at("finish_job")});
  }
  return record;
}

std::map<int, std::string> slurm_states(const SlurmRecord& record) {
  std::map<int, std::string> states;
  if (record.submissions.empty()) return states;
  const SlurmSubmission& last = record.submissions.back();
  // squeue knows queued and running jobs; sacct, where accounting exists, the ended ones too.
  if (!last.array_job.empty()) {
    const CommandOutput a =
        run_command({"sacct", "-n", "-X", "-P", "-j", last.array_job, "-o", "JobID,State"});
    std::istringstream lines(a.exit_code == 0 ? a.out : "");
    for (std::string line; std::getline(lines, line);) {
      const std::size_t bar = line.find('|'), under = line.find('_');
      if (bar == std::string::npos || under == std::string::npos || under > bar) continue;
      const std::string task = line.substr(under + 1, bar - under - 1);
      if (!task.empty() && std::all_of(task.begin(), task.end(), ::isdigit)) {
        states[std::stoi(task)] = line.substr(bar + 1);
      }
    }
    const CommandOutput q =
        run_command({"squeue", "-h", "-r", "-j", last.array_job, "-o", "%K %T"});
    std::istringstream queued(q.exit_code == 0 ? q.out : "");
    for (int task; queued >> task;) queued >> states[task];
  }
  const CommandOutput f = run_command({"squeue", "-h", "-j", last.finish_job, "-o", "%T"});
  if (f.exit_code == 0 && !f.last_line().empty()) states[0] = f.last_line();
  return states;
}

}  // namespace claw::study
