// claw study --slurm against a real Slurm started for the tests: the merged store of a submitted
// study equals a local run's; a task cancelled mid-share and a resubmission end with the same
// store; status counts while the array runs; the scripts are pinned; and each way a submission
// can fail gets one clear line.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <regex>
#include <thread>

#include "core/error.h"
#include "core/json.h"
#include "core/subprocess.h"
#include "study/store.h"
#include "support/local_slurm.h"
#include "support/study_contents.h"
#include "support/test_support.h"

namespace claw::testing {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

const std::string kTinyStudy = fixture_path("study/fixtures/tiny_study.toml").string();

// The experiments finished in the shares' stores of a study submitted to Slurm.
std::size_t finished_in_shares(const fs::path& dir) {
  std::size_t n = 0;
  if (!fs::exists(dir / "shards")) return 0;
  for (const auto& share : fs::directory_iterator(dir / "shards")) {
    n += finished_count(share.path() / "study.sqlite");
  }
  return n;
}

// Waits (up to two minutes) for `done`; false when it never came.
template <typename Condition>
bool wait_for(Condition&& done) {
  const auto deadline = Clock::now() + std::chrono::minutes(2);
  while (!done()) {
    if (Clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return true;
}

Json jobs_record(const fs::path& dir) {
  return Json::parse(read_bytes(dir / "slurm" / "jobs.json"));
}

class StudySlurm : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    slurm_ = new LocalSlurm;
    reference_ = new ScratchDir;
    const CommandResult r = run_claw("--quiet study " + kTinyStudy + " --out " +
                                     (reference_->path() / "run").string() + " --no-report");
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  static void TearDownTestSuite() {
    delete slurm_;
    delete reference_;
  }
  void SetUp() override {
    ASSERT_TRUE(slurm_->running()) << slurm_->error();
    setenv("SLURM_CONF", (slurm_->directory() / "slurm.conf").c_str(), 1);
  }
  void TearDown() override { unsetenv("SLURM_CONF"); }

  static StoreContents reference() {
    return store_contents(reference_->path() / "run" / "study.sqlite");
  }
  // The Slurm state of a job, "" once Slurm has forgotten it.
  static std::string job_state(const std::string& job) {
    return slurm_->run("squeue -h -t all -j " + job + " -o %T").second;
  }
  static bool job_ended(const std::string& job) {
    const std::string state = job_state(job);
    return state.find("PENDING") == std::string::npos &&
           state.find("RUNNING") == std::string::npos &&
           state.find("COMPLETING") == std::string::npos;
  }
  // Waits until the latest submission's finish job has ended.
  static bool wait_for_finish(const fs::path& dir) {
    const std::string finish = jobs_record(dir)["submissions"].back()["finish_job"];
    return wait_for([&] { return job_ended(finish); });
  }

  static LocalSlurm* slurm_;
  static ScratchDir* reference_;
};
LocalSlurm* StudySlurm::slurm_ = nullptr;
ScratchDir* StudySlurm::reference_ = nullptr;

TEST_F(StudySlurm, MergedStoreEqualsALocalRunAndStatusCountsMidRun) {
  ScratchDir scratch;
  const fs::path dir = scratch / "run";
  // One share at a time: with two, the tiny study's nine experiments could all finish between
  // two status calls, and the mid-run counts below would go unchecked.
  const CommandResult submit = run_claw(
      "study " + kTinyStudy + " --slurm --array-size 3 --max-running 1 --out " + dir.string());
  ASSERT_EQ(submit.exit_code, 0) << submit.err;
  EXPECT_NE(submit.out.find("submitted 3 of 3 shares"), std::string::npos) << submit.out;
  const Json record = jobs_record(dir);
  ASSERT_EQ(record["submissions"].size(), 1u);
  EXPECT_NE(submit.out.find(record["submissions"][0]["array_job"].get<std::string>()),
            std::string::npos);

  // Mid-run, the status's total is at most what the stores hold just after it and at least what
  // they held just before; some status shows a share running, some a part of the study done.
  bool seen_partial = false, seen_running = false;
  while (finished_in_shares(dir) < 9) {
    const std::size_t before = finished_in_shares(dir);
    const CommandResult status = run_claw("study status " + dir.string());
    const std::size_t after = finished_in_shares(dir);
    ASSERT_EQ(status.exit_code, 0) << status.err;
    std::smatch total;
    ASSERT_TRUE(std::regex_search(status.out, total, std::regex("total +([0-9]+) of 9 done")))
        << status.out;
    const std::size_t shown = std::stoul(total[1]);
    EXPECT_GE(shown, before);
    EXPECT_LE(shown, after);
    seen_partial = seen_partial || (shown > 0 && shown < 9);
    seen_running = seen_running || (shown < 9 && status.out.find("RUNNING") != std::string::npos);
  }
  EXPECT_TRUE(seen_partial && seen_running)
      << "the array ended before a status could be taken mid-run";
  ASSERT_TRUE(wait_for_finish(dir));
  EXPECT_TRUE(same_contents(store_contents(dir / "study.sqlite"), reference()));
  EXPECT_TRUE(fs::exists(dir / "report" / "report.md")) << "the finish job writes the report";
  const CommandResult status = run_claw("study status " + dir.string());
  EXPECT_NE(status.out.find("9 of 9 done, 0 to do, 0 failed; nothing left"), std::string::npos)
      << status.out;
}

TEST_F(StudySlurm, CancelledTaskThenResubmissionEndsWithTheSameStore) {
  ScratchDir scratch;
  const fs::path dir = scratch / "run";
  const CommandResult submit =
      run_claw("study " + kTinyStudy + " --slurm --array-size 2 --out " + dir.string());
  ASSERT_EQ(submit.exit_code, 0) << submit.err;
  const std::string array = jobs_record(dir)["submissions"][0]["array_job"];
  // Cancel task 1 once it has finished something but not its whole share.
  const fs::path first = dir / "shards" / "1" / "study.sqlite";
  ASSERT_TRUE(wait_for([&] { return finished_count(first) >= 1; }));
  slurm_->run("scancel " + array + "_1");
  ASSERT_TRUE(wait_for_finish(dir));
  const std::size_t kept = finished_count(first);
  // Queued or running, the second submission would be refused; ended, it submits what is left.
  const CommandResult again = run_claw("study " + kTinyStudy + " --slurm --out " + dir.string());
  ASSERT_EQ(again.exit_code, 0) << again.err;
  if (kept < 5) {
    EXPECT_NE(again.out.find("1 of 2 shares (tasks 1)"), std::string::npos) << again.out;
  }
  ASSERT_TRUE(wait_for_finish(dir));
  EXPECT_TRUE(same_contents(store_contents(dir / "study.sqlite"), reference()));
  EXPECT_GE(finished_count(first), kept);
}

TEST_F(StudySlurm, SecondSubmissionWhileQueuedIsRefusedWithTheJobIds) {
  ScratchDir scratch;
  const fs::path dir = scratch / "run";
  const CommandResult submit = run_claw(
      "study " + kTinyStudy + " --slurm --sbatch-arg=--begin=now+1hour --out " + dir.string());
  ASSERT_EQ(submit.exit_code, 0) << submit.err;
  const std::string array = jobs_record(dir)["submissions"][0]["array_job"];
  const CommandResult again = run_claw("study " + kTinyStudy + " --slurm --out " + dir.string());
  EXPECT_NE(again.exit_code, 0);
  EXPECT_NE(again.err.find("still queued or running: " + array), std::string::npos) << again.err;
  slurm_->run("scancel " + array + " " +
              jobs_record(dir)["submissions"][0]["finish_job"].get<std::string>());
}

TEST_F(StudySlurm, RefusedSubmissionAndUnreachableControllerSayWhy) {
  ScratchDir scratch;
  expect_claw_refuses(
      "study " + kTinyStudy + " --slurm --partition nosuch --out " + (scratch / "a").string(),
      "Slurm refused the submission: sbatch: error: ");
  // A copy of the cluster's config whose controller port nothing listens on.
  std::string conf = read_bytes(slurm_->directory() / "slurm.conf");
  conf = std::regex_replace(conf, std::regex("SlurmctldPort=[0-9]+"), "SlurmctldPort=9");
  write_bytes(scratch / "dead.conf", conf);
  setenv("SLURM_CONF", (scratch / "dead.conf").c_str(), 1);
  expect_claw_refuses("study " + kTinyStudy + " --slurm --out " + (scratch / "b").string(),
                      "the Slurm controller cannot be reached");
}

// No Slurm needed: the scripts of a dry run, with this machine's paths replaced, are pinned.
TEST(StudySlurmScripts, DryRunWritesThePinnedScripts) {
  ScratchDir scratch;
  const fs::path dir = scratch / "run";
  const CommandResult r = run_claw(
      "study " + kTinyStudy +
      " --slurm --dry-run --array-size 4 --max-running 2 --partition gpu --time 2:00:00 "
      "--gpus-per-task 2 --cpus-per-task 8 --sbatch-arg=--account=lab --device cuda --out " +
      dir.string());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("dry run: would submit 4 of 4 shares (tasks 1-4)"), std::string::npos)
      << r.out;
  EXPECT_FALSE(fs::exists(dir / "slurm" / "jobs.json"));
  for (const char* script : {"shards.sbatch", "finish.sbatch"}) {
    std::string text = read_bytes(dir / "slurm" / script);
    for (const auto& [path, name] : {std::pair{fs::absolute(dir).string(), "DIR"},
                                     {claw_binary().string(), "CLAW"},
                                     {fs::path(kTinyStudy).string(), "CONFIG"},
                                     {fs::current_path().string(), "CWD"},
                                     {data_path(".").lexically_normal().string(), "DATA"}}) {
      std::string trimmed = path;
      while (trimmed.size() > 1 && trimmed.back() == '/') trimmed.pop_back();
      for (std::size_t at; (at = text.find(trimmed)) != std::string::npos;) {
        text.replace(at, trimmed.size(), name);
      }
    }
    EXPECT_EQ(text, read_bytes(fixture_path(std::string("study/fixtures/") + script)))
        << script << ":\n"
        << text;
  }
}

TEST(StudySlurmScripts, MissingSbatchSaysWhereToRunIt) {
  ScratchDir scratch;
  const std::string path = std::getenv("PATH");
  setenv("PATH", scratch.path().c_str(), 1);
  const CommandResult r =
      run_claw("study " + kTinyStudy + " --slurm --out " + (scratch / "run").string());
  setenv("PATH", path.c_str(), 1);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("sbatch is not on PATH"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace claw::testing
