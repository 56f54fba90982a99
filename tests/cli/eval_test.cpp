// claw eval through the real executable: the JSON it prints and its one-line errors.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "core/json.h"
#include "support/test_support.h"

namespace {

using claw::testing::run_claw;

TEST(EvalCommand, PrintsLossPerplexityAndProtocolAsJson) {
  const auto result =
      run_claw("-q eval --model stories260K --task tinystories:test --limit-tokens 600 --json");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const claw::Json output = claw::Json::parse(result.out);
  const claw::Json& r = output["results"]["tinystories:test"];
  EXPECT_EQ(r["alias"], "tinystories:test");
  EXPECT_EQ(r["mode"], "documents");
  const double loss = r["loss,none"].get<double>();
  EXPECT_GT(loss, 0.5);
  EXPECT_LT(loss, 3.0);
  EXPECT_NEAR(r["perplexity,none"].get<double>(), std::exp(loss), 1e-9);
  EXPECT_EQ(output["higher_is_better"]["tinystories:test"]["loss"], false);
  EXPECT_EQ(r["tokens_scored"].get<std::int64_t>() + r["documents"].get<std::int64_t>(), 600);
  EXPECT_NE(r["protocol"].get<std::string>().find("BOS first"), std::string::npos);
}

// The harness's shape: per-task "<metric>,none" and "<metric>_stderr,none", n-samples, and the
// average over tasks; the same numbers whatever the batch size, and read one layer at a time;
// and one log line per item.
TEST(EvalCommand, ZeroShotResultsLookLikeTheHarnesss) {
  const claw::testing::ScratchDir dir;
  const auto run = [&](const std::string& extra) {
    const auto result =
        run_claw("-q eval --model stories260K --task piqa,winogrande --limit 12 --json " + extra);
    EXPECT_EQ(result.exit_code, 0) << result.err;
    return claw::Json::parse(result.out);
  };
  const claw::Json output = run("--batch 16 --log-samples " + (dir / "samples.jsonl").string());
  const claw::Json& piqa = output["results"]["piqa"];
  for (const char* key : {"acc,none", "acc_stderr,none", "acc_norm,none", "acc_norm_stderr,none"}) {
    ASSERT_TRUE(piqa.contains(key)) << key;
  }
  const double acc = piqa["acc,none"].get<double>();
  EXPECT_NEAR(piqa["acc_stderr,none"].get<double>(), std::sqrt(acc * (1 - acc) / 11), 1e-12);
  EXPECT_FALSE(output["results"]["winogrande"].contains("acc_norm,none"));
  EXPECT_EQ(output["n-samples"]["piqa"]["original"], 1838);
  EXPECT_EQ(output["n-samples"]["piqa"]["effective"], 12);
  EXPECT_EQ(output["average"]["metrics"]["piqa"], "acc_norm");
  EXPECT_EQ(output["average"]["metrics"]["winogrande"], "acc");
  EXPECT_NEAR(output["average"]["accuracy"].get<double>(),
              (piqa["acc_norm,none"].get<double>() +
               output["results"]["winogrande"]["acc,none"].get<double>()) /
                  2,
              1e-12);

  const claw::Json one_at_a_time = run("--batch 1 --streamed");
  for (const char* task : {"piqa", "winogrande"}) {
    EXPECT_EQ(one_at_a_time["results"][task]["acc,none"], output["results"][task]["acc,none"]);
  }
  EXPECT_EQ(one_at_a_time["results"]["piqa"]["acc_norm,none"], piqa["acc_norm,none"]);

  const std::string log = claw::testing::read_bytes(dir / "samples.jsonl");
  std::vector<claw::Json> lines;
  for (std::size_t start = 0, end; (end = log.find('\n', start)) != std::string::npos;
       start = end + 1) {
    lines.push_back(claw::Json::parse(log.substr(start, end - start)));
  }
  ASSERT_EQ(lines.size(), 24u);
  const claw::Json& first = lines.front();
  EXPECT_EQ(first["task"], "piqa");
  EXPECT_EQ(first["doc_id"], 0);
  EXPECT_EQ(first["requests"].size(), 2u);
  EXPECT_EQ(first["requests"][0]["context"],
            "Question: How do I ready a guinea pig cage for it's new occupants?\nAnswer:");
  EXPECT_GT(first["requests"][0]["tokens"].get<int>(), 0);
  EXPECT_EQ(first["gold"], 0);
  const int predicted = first["requests"][0]["loglikelihood"].get<double>() >=
                                first["requests"][1]["loglikelihood"].get<double>()
                            ? 0
                            : 1;
  EXPECT_EQ(first["prediction"], predicted);
  // acc_norm divides by the choice's characters (ASCII here), without the delimiter.
  const auto per_character = [&](int c) {
    return first["requests"][c]["loglikelihood"].get<double>() /
           static_cast<double>(first["choices"][c].get<std::string>().size());
  };
  EXPECT_EQ(first["prediction_norm"], per_character(0) >= per_character(1) ? 0 : 1);
}

TEST(EvalCommand, BadRequestsAreOneClearError) {
  const auto expect_error = [](const std::string& args, const std::string& expected) {
    const auto result = run_claw(args);
    EXPECT_EQ(result.exit_code, 1) << args;
    EXPECT_NE(result.err.find(expected), std::string::npos) << args << ": " << result.err;
  };
  expect_error("eval --model stories260K --task wikitext7", "unknown dataset 'wikitext7'");
  expect_error("eval --model stories260K --task piqa --seed 3", "give --limit too");
  expect_error("eval --model stories260K --task mc", "mc needs a file");
  expect_error("eval --model stories260K --task mc:/nonexistent.jsonl",
               "/nonexistent.jsonl: no such file");
  expect_error("eval --model stories260K --task wikitext2 --ctx 1024",
               "--ctx 1024 is longer than the model's context of 512 tokens");
  const claw::testing::ScratchDir empty;
  expect_error("--data-dir " + empty.path().string() + " eval --model " +
                   claw::testing::data_path("models/stories260K/stories260K.bin").string() +
                   " --task wikitext2",
               "wiki.test.raw");
}

}  // namespace
