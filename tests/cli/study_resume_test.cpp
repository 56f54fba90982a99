// A store written by release 0.1.0 resumes under this build with nothing re-run: every key the
// plan computes today (recovery settings now recorded under the options' own names, typed metric
// names, methods named by Experiment::method) is the key that release wrote.
#include <gtest/gtest.h>

#include <filesystem>

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

}  // namespace
}  // namespace claw::testing
