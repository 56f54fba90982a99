// claw compress over the compression-law grid on stories260K (slow: 15 compressions and
// evaluations).
#include <gtest/gtest.h>

#include <cmath>

#include "core/json.h"
#include "support/test_support.h"

namespace claw {
namespace {

using claw::testing::run_claw;
using claw::testing::ScratchDir;

// Every method at every ratio of the compression-law grid gives a model that loads with the
// widths the ratio implies.
TEST(Compress, Stories260KAtEveryRatio) {
  const ScratchDir scratch;
  for (const char* method : {"random", "magnitude", "prunenet"}) {
    for (const double ratio : {0.1, 0.3, 0.5, 0.7, 0.9}) {
      const std::string out = (scratch / (std::string(method) + std::to_string(ratio))).string();
      const auto result =
          run_claw("-q compress --model stories260K --method " + std::string(method) + " --ratio " +
                   std::to_string(ratio) + " --out " + out);
      ASSERT_EQ(result.exit_code, 0) << method << " " << ratio << ": " << result.err;
      const auto expected = static_cast<std::int64_t>(std::floor((1 - ratio) * 172 + 1e-9));
      EXPECT_EQ(testing::model_info(out)["intermediate_sizes"],
                Json(std::vector<std::int64_t>(5, expected)))
          << method << " " << ratio;
      EXPECT_EQ(run_claw("-q eval --model " + out + " --task tinystories:test --limit-tokens 2000")
                    .exit_code,
                0);
    }
  }
}

}  // namespace
}  // namespace claw
