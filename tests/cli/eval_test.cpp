// claw eval through the real executable: the JSON it prints and its one-line errors.
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "core/json.h"
#include "support/test_support.h"

namespace {

using claw::testing::run_claw;

TEST(EvalCommand, PrintsLossPerplexityAndProtocolAsJson) {
  const auto result =
      run_claw("-q eval --model stories260K --task tinystories:test --limit-tokens 600 --json");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const claw::Json output = claw::Json::parse(result.out);
  const claw::Json& r = output["results"][0];
  EXPECT_EQ(r["task"], "tinystories:test");
  EXPECT_EQ(r["mode"], "documents");
  EXPECT_GT(r["loss"].get<double>(), 0.5);
  EXPECT_LT(r["loss"].get<double>(), 3.0);
  EXPECT_NEAR(r["perplexity"].get<double>(), std::exp(r["loss"].get<double>()), 1e-9);
  EXPECT_EQ(r["tokens_scored"].get<std::int64_t>() + r["documents"].get<std::int64_t>(), 600);
  EXPECT_NE(r["protocol"].get<std::string>().find("BOS first"), std::string::npos);
}

TEST(EvalCommand, BadRequestsAreOneClearError) {
  const auto expect_error = [](const std::string& args, const std::string& expected) {
    const auto result = run_claw(args);
    EXPECT_EQ(result.exit_code, 1) << args;
    EXPECT_NE(result.err.find(expected), std::string::npos) << args << ": " << result.err;
  };
  expect_error("eval --model stories260K --task wikitext7", "unknown dataset 'wikitext7'");
  expect_error("eval --model stories260K --task wikitext2 --ctx 1024",
               "--ctx 1024 is longer than the model's context of 512 tokens");
  const claw::testing::ScratchDir empty;
  expect_error("--data-dir " + empty.path().string() + " eval --model " +
                   claw::testing::data_path("models/stories260K/stories260K.bin").string() +
                   " --task wikitext2",
               "wiki.test.raw");
}

}  // namespace
