// The fuzz targets in the ordinary test run: each accepts its seeds, so its harness reaches the
// parser's success path, and handles every input that fuzzing once found crashing it
// (tests/fuzz/regressions/TARGET/) with at most a claw::Error. The sanitizer build compiles it
// into claw_parsers_tests with CLAW_FUZZ_PARSERS_ONLY, over the targets of the layers without
// LibTorch, and so re-checks their seeds and found inputs for memory errors.
#include <gtest/gtest.h>

#include <filesystem>

#include "fuzz/fuzz_target.h"
#include "support/test_support.h"

namespace claw::fuzz {
namespace {
namespace fs = std::filesystem;

const std::vector<FuzzTarget>& tested_targets() {
#ifdef CLAW_FUZZ_PARSERS_ONLY
  return parser_fuzz_targets();
#else
  return fuzz_targets();
#endif
}

std::vector<std::string> target_names() {
  std::vector<std::string> names;
  for (const FuzzTarget& target : tested_targets()) names.push_back(target.name);
  return names;
}

class FuzzInputs : public ::testing::TestWithParam<std::string> {
 protected:
  const FuzzTarget& target() const { return find_fuzz_target(tested_targets(), GetParam()); }
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
