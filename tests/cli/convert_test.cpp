// claw init and claw convert on a tiny preset: HF → HF conversions through the command line.
#include <gtest/gtest.h>

#include "core/json.h"
#include "support/test_support.h"

namespace claw {
namespace {

using claw::testing::run_claw;
using claw::testing::ScratchDir;

TEST(Convert, Bf16ToF32AndBackIsExact) {
  const ScratchDir scratch;
  const std::string bf16 = (scratch / "bf16").string(), f32 = (scratch / "f32").string(),
                    again = (scratch / "again").string();
  ASSERT_EQ(run_claw("-q init --preset tiny-qwen2 --seed 3 " + bf16).exit_code, 0);
  ASSERT_EQ(run_claw("-q convert " + bf16 + " " + f32 + " --out-dtype f32").exit_code, 0);
  ASSERT_EQ(run_claw("-q convert " + f32 + " " + again + " --out-dtype bf16").exit_code, 0);
  const Json original = testing::model_info(bf16), widened = testing::model_info(f32),
             narrowed = testing::model_info(again);
  EXPECT_EQ(widened["dtype"], "f32");
  EXPECT_NE(widened["content_hash"], original["content_hash"]);
  EXPECT_EQ(narrowed["content_hash"], original["content_hash"]);
  EXPECT_EQ(narrowed["parameters"], original["parameters"]);
  // Keys claw does not interpret travel with the model.
  EXPECT_EQ(read_json_file(scratch / "again" / "config.json")["initializer_range"], 0.02);
}

TEST(Convert, CarriesTheTokenizerAlong) {
  const ScratchDir scratch;
  const std::string tokenizer = testing::data_path("models/stories260K/tok512.bin").string();
  const std::string first = (scratch / "a").string(), second = (scratch / "b").string();
  ASSERT_EQ(
      run_claw("-q init --preset tiny-llama3 " + first + " --tokenizer " + tokenizer).exit_code, 0);
  ASSERT_EQ(run_claw("-q convert " + first + " " + second).exit_code, 0);
  EXPECT_EQ(testing::read_bytes(scratch / "b" / "tokenizer.bin"), testing::read_bytes(tokenizer));
}

TEST(Convert, NeverOverwritesWithoutForceAndNeverItsInput) {
  const ScratchDir scratch;
  const std::string model = (scratch / "m").string(), out = (scratch / "out").string();
  ASSERT_EQ(run_claw("-q init --preset tiny-qwen2 " + model).exit_code, 0);
  ASSERT_EQ(run_claw("-q convert " + model + " " + out).exit_code, 0);

  const auto again = run_claw("convert " + model + " " + out);
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_NE(again.err.find("already exists"), std::string::npos) << again.err;
  EXPECT_EQ(run_claw("-q convert " + model + " " + out + " --force").exit_code, 0);

  const auto onto_itself = run_claw("convert " + model + " " + model + " --force");
  EXPECT_EQ(onto_itself.exit_code, 1);
  EXPECT_NE(onto_itself.err.find("would overwrite the input"), std::string::npos)
      << onto_itself.err;
  // An input inside the output would be deleted when the output is replaced.
  const std::string nested = (scratch / "out" / "nested").string();
  ASSERT_EQ(run_claw("-q convert " + model + " " + nested).exit_code, 0);
  const auto onto_parent = run_claw("convert " + nested + " " + out + " --force");
  EXPECT_EQ(onto_parent.exit_code, 1);
  EXPECT_NE(onto_parent.err.find("would overwrite the input"), std::string::npos)
      << onto_parent.err;
  EXPECT_EQ(testing::model_info(model)["parameters"]["total"],
            testing::model_info(nested)["parameters"]["total"]);
}

}  // namespace
}  // namespace claw
