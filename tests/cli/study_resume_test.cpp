// A store written by release 0.1.0 resumes under this build with nothing re-run: every key the
// plan computes today (recovery settings now recorded under the options' own names, typed metric
// names, methods named by Experiment::method) is the key that release wrote.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <sstream>

#include "core/json.h"
#include "study/store.h"
#include "support/test_support.h"

namespace claw::testing {
namespace {

namespace fs = std::filesystem;

TEST(StudyResume, StoreOfRelease010ResumesWithNothingRerun) {
  const fs::path fixture = fixture_path("study/fixtures/release_0_1_0");
  const ScratchDir dir;
  const fs::path run = dir.path() / "run";
  fs::create_directories(run);
  fs::copy_file(fixture / "study.sqlite", run / "study.sqlite");
  const std::size_t before = study::Store(run / "study.sqlite").finished_keys().size();
  ASSERT_EQ(before, 7u);  // base, random and prunenet at D = 0 and 300, speed in both engines

  const CommandResult r = run_claw("study " + (fixture / "study.toml").string() + " --out " +
                                   run.string() + " --no-report");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("7 of 7 experiments of this study are in"), std::string::npos) << r.out;
  EXPECT_EQ(study::Store(run / "study.sqlite").experiments().size(), 7u);
  // Nothing ran, so nothing was compressed again.
  EXPECT_FALSE(fs::exists(run / "models"));
}

// docs/recovery.md's comparison at test size: a store of next-token recovery only, resumed by the
// same study with distillation added, runs only the distilled experiments, and its report
// compares the two objectives.
TEST(StudyResume, AddingDistillationRunsOnlyTheDistilledExperimentsAndTheReportComparesThem) {
  const fs::path fixture = fixture_path("study/fixtures/distillation_study.toml");
  const ScratchDir dir;
  const fs::path run = dir.path() / "run";
  std::string next_token_only, line;
  std::istringstream lines(read_bytes(fixture));
  while (std::getline(lines, line)) {
    if (line.rfind("objectives", 0) != 0 && line.rfind("kd_", 0) != 0)
      next_token_only += line + "\n";
  }
  write_bytes(dir.path() / "lm.toml", next_token_only);
  CommandResult r = run_claw("--quiet study " + (dir.path() / "lm.toml").string() + " --out " +
                             run.string() + " --no-report");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::map<std::string, std::string> finished;  // key -> when it finished
  for (const study::ExperimentResult& e : study::Store(run / "study.sqlite").experiments()) {
    finished[e.key] = e.finished;
  }
  ASSERT_EQ(finished.size(), 10u);  // base; 3 ratios × D = 0, 256, 512

  r = run_claw("--quiet study " + fixture.string() + " --out " + run.string());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("16 of 16 experiments of this study are in"), std::string::npos) << r.out;
  std::size_t distilled = 0;
  for (const study::ExperimentResult& e : study::Store(run / "study.sqlite").experiments()) {
    if (e.objective() == recover::Objective::kNextToken) {
      EXPECT_EQ(finished.at(e.key), e.finished) << e.label << " ran again";
      continue;
    }
    ++distilled;
    const Json& recovery = e.record.at("recovery");
    EXPECT_EQ(recovery.at("settings").at("objective"), "kd");
    EXPECT_EQ(recovery.at("settings").at("kd_temperature"), 2.0);
    EXPECT_TRUE(recovery.at("train_loss").back().contains("distillation")) << recovery.dump();
  }
  EXPECT_EQ(distilled, 6u);

  const std::string report = read_bytes(run / "report" / "report.md");
  for (const char* expected :
       {"## Recovery: distillation against next-token training", "|lm tokens to match|",
        "|r*, lm|r*, kd|", "### loss, calibration-free · kd",
        "Minitron (arXiv 2407.14679): **distillation recovers more per token than next-token "
        "training**",
        "**Does distillation recover more per token than next-token training?**",
        "× 2 objectives (lm, kd)", "(paired over "}) {
    EXPECT_NE(report.find(expected), std::string::npos) << expected;
  }
  bool kd_law = false;
  for (const Json& law : read_json_file(run / "report" / "laws.json")) {
    kd_law = kd_law || law.at("objective") == "kd";
  }
  EXPECT_TRUE(kd_law);
}

}  // namespace
}  // namespace claw::testing
