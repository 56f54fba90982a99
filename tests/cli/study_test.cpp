// claw study end to end on a tiny config: killed with SIGKILL at several points and resumed, it
// ends with exactly the experiments of an uninterrupted run; shards merged and --jobs do too;
// a failing experiment is recorded while the sweep goes on; a broken config stops before work.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fcntl.h>
#include <chrono>
#include <iostream>
#include <map>
#include <thread>

#include "core/error.h"
#include "study/plot.h"
#include "study/store.h"
#include "support/browser.h"
#include "support/metric_names.h"
#include "support/study_contents.h"
#include "support/test_support.h"

namespace claw::testing {
namespace {

namespace fs = std::filesystem;

const std::string kTiny = fixture_path("study/fixtures/tiny_study.toml").string();

// Each experiment's key with the names of its metrics (values may differ in the last digits
// between runs of other thread counts).
std::map<std::string, std::vector<std::string>> contents(const fs::path& store_path) {
  std::map<std::string, std::vector<std::string>> out;
  for (const auto& [key, metrics] : store_contents(store_path)) {
    for (const auto& [name, value] : metrics) out[key].push_back(name);
  }
  return out;
}

// Starts `claw --quiet study TINY --out DIR`, returning its pid.
pid_t start_study(const fs::path& out) {
  const pid_t pid = fork();
  if (pid == 0) {
    const int null = open("/dev/null", O_WRONLY);
    dup2(null, STDOUT_FILENO);
    dup2(null, STDERR_FILENO);
    execl(claw_binary().c_str(), "claw", "--quiet", "study", kTiny.c_str(), "--out", out.c_str(),
          "--no-report", static_cast<char*>(nullptr));
    _exit(127);
  }
  return pid;
}

class Study : public ::testing::Test {
 protected:
  // One uninterrupted run, the reference of every test.
  static void SetUpTestSuite() {
    reference_dir_ = new ScratchDir;
    const CommandResult r = run_claw("--quiet study " + kTiny + " --out " + reference().string());
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  static void TearDownTestSuite() { delete reference_dir_; }
  static fs::path reference() { return reference_dir_->path() / "run"; }
  static ScratchDir* reference_dir_;
};
ScratchDir* Study::reference_dir_ = nullptr;

TEST_F(Study, UninterruptedRunHasEveryExperimentAndAReport) {
  const auto expected = contents(reference() / "study.sqlite");
  EXPECT_EQ(expected.size(), 9u);  // 1 base + 2 methods × 2 ratios × 2 budgets
  for (const auto& [key, metrics] : expected) EXPECT_FALSE(metrics.empty()) << key;
  for (const char* file : {"report.md", "report.html", "laws.json"}) {
    EXPECT_TRUE(fs::exists(reference() / "report" / file)) << file;
  }
  if (study::gnuplot_available()) {
    EXPECT_TRUE(fs::exists(reference() / "report" / "loss_tinystories_test_D0.png"));
    EXPECT_TRUE(fs::exists(reference() / "report" / "loss_tinystories_test_D0.svg"));
  }
  const std::string report = read_bytes(reference() / "report" / "report.md");
  EXPECT_NE(report.find("## Compression laws"), std::string::npos);
  EXPECT_NE(report.find("loss/tinystories:test against r"), std::string::npos);
  // claw fit reads the store as it reads a results file.
  const CommandResult fit =
      run_claw("fit --results " + (reference() / "study.sqlite").string() + " --metric loss");
  EXPECT_EQ(fit.exit_code, 0) << fit.err;
  EXPECT_NE(fit.out.find("beta (log(1+r))"), std::string::npos) << fit.out;
  // A second run finds everything done.
  const CommandResult again = run_claw("study " + kTiny + " --out " + reference().string());
  EXPECT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(contents(reference() / "study.sqlite"), expected);
}

TEST_F(Study, SigkillAtSeveralPointsLosesAndDuplicatesNothing) {
  ScratchDir dir;
  const fs::path out = dir / "run";
  const fs::path store = out / "study.sqlite";
  // Kill before anything is stored, then after the 1st, 4th and 7th finished experiment.
  for (const std::size_t after : {0, 1, 4, 7}) {
    const pid_t pid = start_study(out);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (finished_count(store) < after && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    if (after == 0) std::this_thread::sleep_for(std::chrono::milliseconds(150));
    kill(pid, SIGKILL);
    int status = 0;
    waitpid(pid, &status, 0);
    // Whatever was stored is whole.
    for (const auto& [key, metrics] : contents(store)) EXPECT_FALSE(metrics.empty()) << key;
  }
  const CommandResult finish = run_claw("--quiet study " + kTiny + " --out " + out.string());
  ASSERT_EQ(finish.exit_code, 0) << finish.err;
  EXPECT_EQ(contents(store), contents(reference() / "study.sqlite"));
}

TEST_F(Study, SigtermStopsAtASafePointAndARerunFinishes) {
  ScratchDir dir;
  const fs::path out = dir / "run";
  const fs::path store = out / "study.sqlite";
  const pid_t pid = start_study(out);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (finished_count(store) < 2 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  kill(pid, SIGTERM);
  int status = 0;
  waitpid(pid, &status, 0);
  // Stopped, not killed: it exits with 143 so that a scheduler's requeue or a re-run continues.
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 143);
  const std::size_t kept = finished_count(store);
  EXPECT_GE(kept, 2u);
  EXPECT_LT(kept, 9u);
  EXPECT_TRUE(study::Store(store).failures().empty()) << "a stop is no failure";
  for (const auto& [key, metrics] : contents(store)) EXPECT_FALSE(metrics.empty()) << key;
  const CommandResult finish = run_claw("--quiet study " + kTiny + " --out " + out.string());
  ASSERT_EQ(finish.exit_code, 0) << finish.err;
  EXPECT_EQ(contents(store), contents(reference() / "study.sqlite"));
}

TEST_F(Study, ShardsMergedEqualOneRun) {
  ScratchDir dir;
  for (const char* shard : {"1/2", "2/2"}) {
    const CommandResult r = run_claw("--quiet study " + kTiny + " --shard " + shard + " --out " +
                                     (dir / ("shard" + std::string(1, shard[0]))).string());
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("claw merge"), std::string::npos) << r.out;
  }
  const auto first = contents(dir / "shard1" / "study.sqlite");
  const auto second = contents(dir / "shard2" / "study.sqlite");
  EXPECT_GT(first.size(), 0u);
  EXPECT_GT(second.size(), 0u);
  const fs::path merged = dir / "merged.sqlite";
  const CommandResult m =
      run_claw("merge " + merged.string() + " " + (dir / "shard1" / "study.sqlite").string() + " " +
               (dir / "shard2" / "study.sqlite").string());
  ASSERT_EQ(m.exit_code, 0) << m.err;
  EXPECT_EQ(first.size() + second.size(), 9u);
  EXPECT_EQ(contents(merged), contents(reference() / "study.sqlite"));
  const CommandResult report =
      run_claw("report " + merged.string() + " --out " + (dir / "report").string());
  EXPECT_EQ(report.exit_code, 0) << report.err;
  EXPECT_TRUE(fs::exists(dir / "report" / "report.html"));
}

TEST_F(Study, JobsShareOneStore) {
  ScratchDir dir;
  const CommandResult r =
      run_claw("--quiet study " + kTiny + " --jobs 2 --no-report --out " + (dir / "run").string());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(contents(dir / "run" / "study.sqlite"), contents(reference() / "study.sqlite"));
}

TEST(StudyRun, AFailingExperimentIsRecordedAndTheSweepGoesOn) {
  ScratchDir dir;
  std::string toml = read_bytes(kTiny);
  // stories260K is 64 wide: rounding the kept width to a multiple of 64 leaves nothing.
  toml +=
      "[methods.slicegpt]\ncalib = \"tinystories:train\"\ncalib_samples = 2\n"
      "calib_len = 32\nround = 64\n";
  write_bytes(dir / "s.toml", toml);
  const CommandResult r =
      run_claw("study " + (dir / "s.toml").string() + " --out " + (dir / "run").string());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("failures recorded"), std::string::npos) << r.out;
  const study::Store store(dir / "run" / "study.sqlite");
  EXPECT_EQ(store.finished_keys().size(), 9u);  // everything but slicegpt
  const std::vector<study::Failure> failures = store.failures();
  ASSERT_EQ(failures.size(), 4u);  // slicegpt × 2 ratios × 2 budgets
  for (const study::Failure& f : failures) {
    EXPECT_EQ(f.stage, "compress");
    EXPECT_NE(f.label.find("slicegpt"), std::string::npos);
    EXPECT_NE(f.message.find("round"), std::string::npos) << f.message;
  }
  EXPECT_NE(read_bytes(dir / "run" / "report" / "report.md").find("## Failures"),
            std::string::npos);
}

TEST(StudyRun, BrokenConfigStopsBeforeAnyWork) {
  ScratchDir dir;
  write_bytes(dir / "s.toml", read_bytes(kTiny) +
                                  "[speed]\npreset = \"qwen2.5-0.5b\"\n"
                                  "ratios = [0.5]\nrepz = 3\n");
  const CommandResult r =
      run_claw("study " + (dir / "s.toml").string() + " --out " + (dir / "run").string());
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("s.toml:22:1: unknown key 'speed.repz'"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(dir / "run"));
}

TEST(StudyRun, MergeAndReportRefuseWhatIsNoStore) {
  ScratchDir dir;
  write_bytes(dir / "results.csv", "model,task\n");
  expect_claw_refuses(
      "merge " + (dir / "all.sqlite").string() + " " + (dir / "results.csv").string(),
      "not a claw results store");
  expect_claw_refuses(
      "merge " + (dir / "all.sqlite").string() + " " + (dir / "missing.sqlite").string(),
      "no such store");
  expect_claw_refuses("report " + (dir / "missing.sqlite").string(), "no such store");
  expect_claw_refuses("report " + (dir / "results.csv").string(), "not a claw results store");
  expect_claw_refuses("study " + kTiny + " --shard 3/2", "--shard expects I/N");
}

// The README's study at its --quick size: every method, the speed experiments on the
// Qwen-2.5-0.5B shapes in both engines, the fits and the report; run once for the suite.
class StudyQuick : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new ScratchDir;
    const CommandResult r = run_claw("--quiet study --quick --jobs 2 --out " + run().string());
    ran_ = r.exit_code == 0;
    if (!ran_) std::cerr << r.err;
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  void SetUp() override { ASSERT_TRUE(ran_) << "claw study --quick failed"; }
  static fs::path run() { return dir_->path() / "run"; }

 private:
  static inline ScratchDir* dir_ = nullptr;
  static inline bool ran_ = false;
};

TEST_F(StudyQuick, DefaultStudyRunsWholeAtItsQuickSize) {
  const study::Store store(run() / "study.sqlite");
  EXPECT_TRUE(store.failures().empty());
  std::map<std::string, int> kinds;
  for (const study::ExperimentResult& e : store.experiments()) {
    ++kinds[e.kind];
    if (e.kind == "speed") {
      ASSERT_NE(e.metric("prefill_speedup/b1,p128"_metric), nullptr);
      EXPECT_GT(e.metric("ideal_prefill_speedup/b1,p128"_metric)->value, 1);
    }
  }
  EXPECT_EQ(kinds["base"], 1);
  EXPECT_EQ(kinds["compressed"], 4 * 3 * 2);  // methods × ratios × budgets
  EXPECT_EQ(kinds["speed"], 3);               // random in both engines, slicegpt in claw only
  const Json laws = Json::parse(read_bytes(run() / "report" / "laws.json"));
  int fitted = 0;
  for (const Json& fit : laws) {
    fitted += !fit["law"].is_null();
    if (!fit["law"].is_null()) {
      EXPECT_FALSE(fit["critical_ratios"].empty()) << fit["metric"];
    }
  }
  EXPECT_EQ(fitted, 6);  // loss and accuracy × two families and pooled
  const std::string report = read_bytes(run() / "report" / "report.md");
  // The answers first, then the contents, the sections, and what enters no law last.
  std::size_t at = 0;
  for (const char* section :
       {"## Summary", "## Contents", "## Compression laws", "## Critical compression ratios",
        "## Speed against r", "## The paper's findings, here", "## Appendix A: protocols",
        "## Appendix B"}) {
    const std::size_t found = report.find(section, at);
    EXPECT_NE(found, std::string::npos) << section << " missing or out of order";
    if (found != std::string::npos) at = found;
  }
  EXPECT_NE(report.find("|random|0.5|llama.cpp|"), std::string::npos) << "both engines";
  // One row per distinct protocol: the speed protocol is shared by all eight speed metrics.
  const std::size_t appendix = report.find("## Appendix A");
  const std::string protocols = report.substr(appendix, report.find("## Appendix B") - appendix);
  std::size_t claw_speed_rows = 0;
  for (std::size_t p = protocols.find("|speed in claw's"); p != std::string::npos;
       p = protocols.find("|speed in claw's", p + 1)) {
    ++claw_speed_rows;
  }
  EXPECT_EQ(claw_speed_rows, 1u);
}

// The report as a reader opens it, in Chromium at 1400 × 900: the summary and its plot come
// first and before any appendix, the answers a user came for are on the first screen, and no
// table or image runs past the page.
TEST_F(StudyQuick, ReportReadsWellInABrowser) {
  const Json layout =
      probe_in_browser(run() / "report" / "report.html",
                       read_bytes(fixture_path("study/fixtures/report_layout.js")), 1400, 900);
  EXPECT_EQ(layout["after_title"], "summary") << layout.dump();
  EXPECT_TRUE(layout["summary_plot_loaded"].get<bool>()) << layout.dump();
  EXPECT_GE(layout["summary_plot"].get<double>(), layout["summary"].get<double>());
  EXPECT_LT(layout["summary_plot"].get<double>(), layout["appendix"].get<double>());
  EXPECT_LT(layout["summary"].get<double>(), layout["appendix"].get<double>());
  EXPECT_TRUE(layout["overflowing"].empty()) << layout["overflowing"].dump();
  EXPECT_LE(layout["page_width"].get<double>(), layout["width"].get<double>());
  const double screen = layout["height"].get<double>();
  for (const char* answer : {"Laws", "Critical ratio r* at σ = 0.9", "The paper's findings"}) {
    ASSERT_TRUE(layout["answers"].contains(answer)) << answer << ": " << layout["answers"].dump();
    EXPECT_LE(layout["answers"][answer].get<double>(), screen)
        << answer << " below the first screen";
  }
}

}  // namespace
}  // namespace claw::testing
