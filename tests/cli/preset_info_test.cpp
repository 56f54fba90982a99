// claw init + claw info on a real-size preset: the published parameter count of Qwen2.5-0.5B.
#include <gtest/gtest.h>

#include "core/json.h"
#include "support/test_support.h"

namespace claw {
namespace {

using claw::testing::run_claw;
using claw::testing::ScratchDir;

TEST(PresetInfo, Qwen25HalfBillionReportsPublishedParameterCount) {
  const ScratchDir scratch;
  const std::string dir = (scratch / "qwen").string();
  const auto init = run_claw("--quiet init --preset qwen2.5-0.5b --seed 1 " + dir);
  ASSERT_EQ(init.exit_code, 0) << init.err;
  const auto info = run_claw("info --json " + dir);
  ASSERT_EQ(info.exit_code, 0) << info.err;
  const Json description = Json::parse(info.out);
  EXPECT_EQ(description["parameters"]["total"], 494'032'768);
  EXPECT_EQ(description["tied_embeddings"], true);
  EXPECT_EQ(description["architecture"], "Qwen2ForCausalLM");
  EXPECT_EQ(description["dtype"], "bf16");
}

}  // namespace
}  // namespace claw
