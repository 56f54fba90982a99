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
  // SliceGPT's hidden width of 64 is rounded to whole dimensions (--round 1): to multiples of
  // 8, r = 0.9 would keep none.
  for (const char* method : {"random", "magnitude", "prunenet", "slicegpt"}) {
    const bool slicegpt = std::string(method) == "slicegpt";
    for (const double ratio : {0.1, 0.3, 0.5, 0.7, 0.9}) {
      const std::string out = (scratch / (std::string(method) + std::to_string(ratio))).string();
      const auto result = run_claw(
          "-q compress --model stories260K --method " + std::string(method) + " --ratio " +
          std::to_string(ratio) + " --out " + out +
          (slicegpt ? " --round 1 --calib tinystories:train --calib-samples 32 --calib-len 256"
                    : ""));
      ASSERT_EQ(result.exit_code, 0) << method << " " << ratio << ": " << result.err;
      const Json info = testing::model_info(out);
      if (slicegpt) {
        const auto expected = static_cast<std::int64_t>(std::floor((1 - ratio) * 64 + 1e-9));
        EXPECT_EQ(info["residual_widths"][0], expected) << ratio;
      } else {
        const auto expected = static_cast<std::int64_t>(std::floor((1 - ratio) * 172 + 1e-9));
        EXPECT_EQ(info["intermediate_sizes"], Json(std::vector<std::int64_t>(5, expected)))
            << method << " " << ratio;
      }
      EXPECT_EQ(run_claw("-q eval --model " + out + " --task tinystories:test --limit-tokens 2000")
                    .exit_code,
                0);
    }
  }
}

}  // namespace
}  // namespace claw
