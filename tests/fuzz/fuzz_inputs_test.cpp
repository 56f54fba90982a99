// The fuzz targets in the ordinary test run: each accepts its seeds, so its harness reaches the
// parser's success path, and handles every input that fuzzing once found crashing it
// (tests/fuzz/regressions/TARGET/) with at most a claw::Error. Under the sanitizer build this
// also re-checks the found inputs for memory errors.
#include <gtest/gtest.h>

#include <filesystem>

#include "fuzz/fuzz_target.h"
#include "support/test_support.h"

namespace claw::fuzz {
namespace {
namespace fs = std::filesystem;

std::vector<std::string> target_names() {
  std::vector<std::string> names;
  for (const FuzzTarget& target : fuzz_targets()) names.push_back(target.name);
  return names;
}

class FuzzInputs : public ::testing::TestWithParam<std::string> {
 protected:
  const FuzzTarget& target() const { return fuzz_target(GetParam()); }
};

TEST_P(FuzzInputs, AcceptsEverySeed) {
  const std::vector<Seed> seeds = target().seeds();
  ASSERT_FALSE(seeds.empty());
  for (const Seed& seed : seeds) {
    try {
      target().run(seed.bytes);
    } catch (const std::exception& e) {
      ADD_FAILURE() << "seed " << seed.name << " refused: " << e.what();
    }
  }
}

TEST_P(FuzzInputs, HandlesEveryFoundInput) {
  const fs::path dir = testing::fixture_path("fuzz/regressions") / GetParam();
  if (!fs::is_directory(dir)) GTEST_SKIP() << "fuzzing has found nothing for " << GetParam();
  int count = 0;
  for (const fs::directory_entry& entry : fs::directory_iterator(dir)) {
    SCOPED_TRACE(entry.path().string());
    EXPECT_NO_THROW(run_fuzz_input(target(), testing::read_bytes(entry.path())));
    ++count;
  }
  EXPECT_GT(count, 0);
}

INSTANTIATE_TEST_SUITE_P(Targets, FuzzInputs, ::testing::ValuesIn(target_names()),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace claw::fuzz
