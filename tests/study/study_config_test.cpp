// The study config: the embedded default and [quick], and errors that name the file, line and
// key before any work starts.
#include <gtest/gtest.h>

#include "core/error.h"
#include "study/study_config.h"

namespace claw::study {
namespace {

constexpr const char* kMinimal = R"(name = "t"
models = ["stories260K"]
ratios = [0.5]
[methods.random]
[evaluation]
zero_shot = ["piqa"]
)";

// The message parse_study_config() throws for `toml`, or "" when it parses.
std::string error_of(const std::string& toml) {
  try {
    parse_study_config(toml, "s.toml", false);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(StudyConfig, DefaultStudyIsTheIssuesSweep) {
  const StudyConfig c = parse_study_config(default_study_toml(), "default", false);
  ASSERT_EQ(c.methods.size(), 4u);
  EXPECT_EQ(c.methods[0].name, "random");
  EXPECT_EQ(c.methods[2].name, "prunenet");
  EXPECT_EQ(c.methods[3].name, "slicegpt");
  EXPECT_EQ(c.methods[3].options["calib"], "tinystories:train");
  EXPECT_EQ(c.ratios.size(), 9u);
  EXPECT_EQ(c.recovery.budgets, (std::vector<std::int64_t>{0, 25000, 50000, 100000, 200000}));
  ASSERT_EQ(c.evaluation.loss.size(), 2u);
  EXPECT_EQ(c.evaluation.loss[1].task, "wikitext2");
  EXPECT_EQ(c.evaluation.zero_shot.size(), 6u);
  EXPECT_EQ(c.evaluation.zero_shot.back(), "blimp_morphology");
  EXPECT_TRUE(c.speed.enabled);
  EXPECT_EQ(c.speed.preset, "qwen2.5-0.5b");
}

TEST(StudyConfig, QuickReplacesOnlyTheKeysItNames) {
  const StudyConfig full = parse_study_config(default_study_toml(), "default", false);
  const StudyConfig quick = parse_study_config(default_study_toml(), "default", true);
  EXPECT_EQ(quick.ratios, (std::vector<double>{0.2, 0.5, 0.8}));
  EXPECT_EQ(quick.recovery.budgets, (std::vector<std::int64_t>{0, 25000}));
  EXPECT_EQ(quick.evaluation.zero_shot_limit, 50);
  EXPECT_EQ(quick.speed.ratios, (std::vector<double>{0.5}));
  // Keys of the same tables that [quick] leaves alone keep their values.
  EXPECT_EQ(quick.recovery.options.seq_len, full.recovery.options.seq_len);
  EXPECT_EQ(quick.evaluation.zero_shot, full.evaluation.zero_shot);
  EXPECT_EQ(quick.speed.options.decode, full.speed.options.decode);
}

TEST(StudyConfig, MinimalStudyTakesDefaults) {
  const StudyConfig c = parse_study_config(kMinimal, "s.toml", false);
  EXPECT_EQ(c.seeds, (std::vector<std::uint64_t>{0}));
  EXPECT_EQ(c.recovery.budgets, (std::vector<std::int64_t>{0}));
  EXPECT_FALSE(c.speed.enabled);
  EXPECT_THROW(parse_study_config(kMinimal, "s.toml", true), Error);  // no [quick]
}

TEST(StudyConfig, UnknownKeyIsNamedWithItsLine) {
  const std::string e = error_of(std::string(kMinimal) + "[recovery]\ntokns = [0]\n");
  EXPECT_NE(e.find("s.toml:8:1"), std::string::npos) << e;
  EXPECT_NE(e.find("unknown key 'recovery.tokns'"), std::string::npos) << e;
  EXPECT_NE(e.find("tokens"), std::string::npos) << e;  // the known keys are listed
}

TEST(StudyConfig, WrongTypesAreNamedWithTheirLine) {
  std::string toml = kMinimal;
  toml.replace(toml.find("ratios = [0.5]"), 14, "ratios = \"0.5\"");
  std::string e = error_of(toml);
  EXPECT_NE(e.find("s.toml:3:"), std::string::npos) << e;
  EXPECT_NE(e.find("ratios: expected an array of numbers, got a string"), std::string::npos) << e;

  e = error_of(std::string(kMinimal) +
               "[recovery]\ndata = \"tinystories:train\"\ntokens = [0, "
               "\"many\"]\n");
  EXPECT_NE(e.find("s.toml:9:"), std::string::npos) << e;
  EXPECT_NE(e.find("recovery.tokens: expected integers, got a string"), std::string::npos) << e;

  e = error_of(std::string(kMinimal) +
               "[speed]\npreset = \"qwen2.5-0.5b\"\nratios = [0.5]\n"
               "reps = 2.5\n");
  EXPECT_NE(e.find("speed.reps: expected an integer, got a number"), std::string::npos) << e;

  // The library's check names the field; the study reports it at that key's line.
  e = error_of(std::string(kMinimal) +
               "[speed]\npreset = \"qwen2.5-0.5b\"\nratios = [0.5]\n"
               "reps = 0\n");
  EXPECT_NE(e.find("s.toml:10:8: speed.reps: must be positive, got 0"), std::string::npos) << e;

  const std::string speed =
      std::string(kMinimal) + "[speed]\npreset = \"qwen2.5-0.5b\"\nratios = [0.5]\n";
  e = error_of(speed + "engines = [\"vllm\"]\n");
  EXPECT_NE(e.find("speed.engines: expected \"claw\" or \"llama.cpp\", not 'vllm'"),
            std::string::npos)
      << e;
  e = error_of(speed + "engines = [\"claw\", \"llama.cpp\"]\ndtype = \"q8_0\"\n");
  EXPECT_NE(e.find("speed.dtype: expected f32, bf16 or f16 (or q8_0 when llama.cpp"),
            std::string::npos)
      << e;
  e = error_of(speed + "engines = [\"llama.cpp\"]\nbatch = [1, 8]\n");
  EXPECT_NE(e.find("llama.cpp is measured at batch 1 only, not 8"), std::string::npos) << e;
}

TEST(StudyConfig, UnknownMethodsDatasetsAndTasksAreNamed) {
  std::string e = error_of(std::string(kMinimal) + "[methods.pruning]\n");
  EXPECT_NE(e.find("s.toml:7:"), std::string::npos) << e;
  EXPECT_NE(e.find("methods.pruning"), std::string::npos) << e;

  e = error_of(std::string(kMinimal) + "[recovery]\ndata = \"tinystorys\"\ntokens = [100]\n");
  EXPECT_NE(e.find("s.toml:8:"), std::string::npos) << e;
  EXPECT_NE(e.find("recovery.data: unknown dataset 'tinystorys'"), std::string::npos) << e;

  std::string toml = kMinimal;
  toml.replace(toml.find("\"piqa\""), 6, "\"piqaa\"");
  e = error_of(toml);
  EXPECT_NE(e.find("evaluation.zero_shot: unknown zero-shot task 'piqaa'"), std::string::npos) << e;

  e = error_of(std::string(kMinimal) + "[methods.slicegpt]\ncalib = \"nope\"\n");
  EXPECT_NE(e.find("methods.slicegpt.calib"), std::string::npos) << e;
}

TEST(StudyConfig, OutOfRangeValuesAndSyntaxErrorsAreNamed) {
  std::string toml = kMinimal;
  toml.replace(toml.find("[0.5]"), 5, "[0.5, 1.0]");
  EXPECT_NE(error_of(toml).find("ratios: a ratio must lie in [0, 1), not 1"), std::string::npos);
  EXPECT_NE(error_of(std::string(kMinimal) + "[recovery]\ntokens = [1000]\n").find("needs data"),
            std::string::npos);
  const std::string e = error_of("name = \"x\"\nmodels = [\n");
  EXPECT_EQ(e.rfind("s.toml:", 0), 0u) << e;
}

TEST(StudyConfig, MethodOptionsComeFromTheMethodsDeclarations) {
  const StudyConfig c = parse_study_config(
      std::string(kMinimal) + "[methods.prunenet]\nepisodes = 3\n[methods.shortgpt]\n" +
          "calib = \"tinystories:train\"\nscore = \"angular\"\n",
      "s.toml", false);
  ASSERT_EQ(c.methods.size(), 3u);
  EXPECT_EQ(c.methods[1].settings(), (Json{{"method", "prunenet"}, {"episodes", 3}, {"lr", 1e-3}}));
  EXPECT_EQ(c.methods[2].options["angular_tokens"], "last");  // the declared default
  std::string e = error_of(std::string(kMinimal) + "[methods.prunenet]\nepisodes = -1\n");
  EXPECT_NE(e.find("s.toml:8:12: methods.prunenet.episodes: must be at least 0, not -1"),
            std::string::npos)
      << e;
  e = error_of(std::string(kMinimal) + "[methods.shortgpt]\ncalib = \"tinystories\"\n" +
               "score = \"cosine\"\n");
  EXPECT_NE(e.find("methods.shortgpt.score: must be one of bi, angular, not 'cosine'"),
            std::string::npos)
      << e;
  // Options that only say where to save a by-product are not study keys.
  e = error_of(std::string(kMinimal) + "[methods.prunenet]\npolicy_out = \"p\"\n");
  EXPECT_NE(e.find("methods.prunenet.policy_out"), std::string::npos) << e;
}

TEST(StudyConfig, RecoveryOptionErrorsNameTheirKey) {
  const std::string recovery = "[recovery]\ndata = \"tinystories:train\"\ntokens = [100]\n";
  std::string e = error_of(std::string(kMinimal) + recovery + "lora_rank = 0\n");
  EXPECT_NE(e.find("s.toml:10:13: recovery.lora_rank: must be at least 1, not 0"),
            std::string::npos)
      << e;
  e = error_of(std::string(kMinimal) + recovery + "targets = [\"q\", \"lm_head\"]\n");
  EXPECT_NE(e.find("recovery.targets: names an unknown projection 'lm_head'"), std::string::npos)
      << e;
  const StudyConfig c = parse_study_config(
      std::string(kMinimal) + recovery + "lr = 1e-3\nprompt_loss = true\n", "s.toml", false);
  EXPECT_EQ(c.recovery.options.trainer.learning_rate, 1e-3);
  EXPECT_TRUE(c.recovery.options.prompt_loss);
  EXPECT_EQ(c.recovery.options.eval_data.value_or(""), "tinystories:test");  // derived from data
}

TEST(StudyConfig, TargetParamsReplaceRatios) {
  std::string toml = kMinimal;
  toml.replace(toml.find("ratios = [0.5]"), 14, "target_params = [0.2, 0.3]");
  EXPECT_EQ(parse_study_config(toml, "s.toml", false).target_params,
            (std::vector<double>{0.2, 0.3}));
  EXPECT_NE(error_of("target_params = [0.2]\n" + std::string(kMinimal)).find("not both"),
            std::string::npos);
  toml.replace(toml.find("0.3]"), 4, "1.0]");
  EXPECT_NE(error_of(toml).find("target_params: a fraction of parameters must lie in (0, 1)"),
            std::string::npos)
      << error_of(toml);
}

TEST(StudyConfig, RecoveryObjectivesAreNamedAndTheirSettingsNeedDistillation) {
  const std::string recovery =
      std::string(kMinimal) + "[recovery]\ndata = \"tinystories:train\"\ntokens = [0, 100]\n";
  const StudyConfig lm = parse_study_config(recovery, "s.toml", false);
  EXPECT_EQ(lm.recovery.objectives,
            std::vector<recover::Objective>{recover::Objective::kNextToken});
  const StudyConfig both = parse_study_config(
      recovery + "objectives = [\"lm\", \"kd\"]\nkd_temperature = 2.0\n", "s.toml", false);
  EXPECT_EQ(both.recovery.objectives,
            (std::vector<recover::Objective>{recover::Objective::kNextToken,
                                             recover::Objective::kDistillation}));
  EXPECT_EQ(both.recovery.options.trainer.kd.temperature, 2.0);

  std::string e = error_of(recovery + "objectives = [\"lm\", \"distil\"]\n");
  EXPECT_NE(e.find("s.toml:10:"), std::string::npos) << e;
  EXPECT_NE(e.find("recovery.objectives: 'distil' is no objective: lm"), std::string::npos) << e;
  e = error_of(recovery + "objectives = [\"kd\", \"kd\"]\n");
  EXPECT_NE(e.find("'kd' is listed twice"), std::string::npos) << e;
  e = error_of(recovery + "objectives = []\n");
  EXPECT_NE(e.find("recovery.objectives"), std::string::npos) << e;
  e = error_of(recovery + "kd_temperature = 2.0\n");
  EXPECT_NE(e.find("recovery.kd_weight: and the other kd_ settings are distillation's: add kd"),
            std::string::npos)
      << e;
  e = error_of(recovery + "objectives = [\"kd\"]\n");
  EXPECT_NE(e.find("recovery.objectives: must include lm"), std::string::npos) << e;
  e = error_of(recovery + "objectives = [\"lm\", \"kd\"]\nkd_weight = 0.0\n");
  EXPECT_NE(e.find("recovery.kd_weight: 0 is next-token training"), std::string::npos) << e;
}

}  // namespace
}  // namespace claw::study
