// The plan: one key per distinct configuration, stable across runs, and shares that split it
// into whole groups without loss or overlap.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>

#include "compress/method_registry.h"
#include "core/error.h"
#include "model/presets.h"
#include "study/plan.h"

namespace claw::study {
namespace {

StudyConfig config() {
  return parse_study_config(R"(name = "t"
models = ["stories260K"]
ratios = [0.25, 0.5, 0.75]
seeds = [0, 1]
[methods.random]
[methods.magnitude]
[recovery]
data = "tinystories:train"
tokens = [0, 100, 200]
[evaluation]
zero_shot = ["piqa"]
zero_shot_limit = 5
[speed]
preset = "tiny-qwen2"
methods = ["random"]
ratios = [0.5]
)",
                            "t.toml", false);
}

const std::vector<StudyModel> kModels = {{"stories260K", "0123456789abcdef"}};

TEST(StudyPlan, EveryConfigurationHasItsOwnStableKey) {
  const StudyPlan plan = make_plan(config(), kModels, "f32");
  // 1 base + 2 seeds × 3 ratios × 2 methods × 3 budgets + 1 speed.
  ASSERT_EQ(plan.experiments.size(), 1u + 36u + 1u);
  EXPECT_EQ(plan.groups, 1u + 12u + 1u);
  std::set<std::string> keys;
  for (const Experiment& e : plan.experiments) keys.insert(e.key);
  EXPECT_EQ(keys.size(), plan.experiments.size());
  const StudyPlan again = make_plan(config(), kModels, "f32");
  for (std::size_t i = 0; i < plan.experiments.size(); ++i) {
    EXPECT_EQ(plan.experiments[i].key, again.experiments[i].key);
  }
  // Another model hash or dtype is another experiment.
  EXPECT_NE(make_plan(config(), {{"stories260K", "fedcba9876543210"}}, "f32").experiments[0].key,
            plan.experiments[0].key);
  EXPECT_NE(make_plan(config(), kModels, "bf16").experiments[0].key, plan.experiments[0].key);
}

// Each engine is a speed experiment of its own; a method whose models llama.cpp cannot run is
// measured in claw only, and claw's keys are those of a study without engines.
TEST(StudyPlan, SpeedIsPlannedPerEngine) {
  StudyConfig both = config();
  both.speed.methods = {"random", "slicegpt"};
  both.speed.engines = {"claw", "llama.cpp"};
  StudyConfig claw_only = both;
  claw_only.speed.engines = {"claw"};
  std::vector<std::string> labels;
  std::set<std::string> claw_keys;
  for (const Experiment& e : make_plan(claw_only, kModels, "f32").experiments) {
    if (e.kind == ExperimentKind::kSpeed) claw_keys.insert(e.key);
  }
  for (const Experiment& e : make_plan(both, kModels, "f32").experiments) {
    if (e.kind != ExperimentKind::kSpeed) continue;
    labels.push_back(e.label());
    EXPECT_EQ(claw_keys.count(e.key), e.engine == "claw" ? 1u : 0u) << e.label();
  }
  EXPECT_EQ(labels,
            (std::vector<std::string>{"speed random r=0.5 (claw)", "speed slicegpt r=0.5 (claw)",
                                      "speed random r=0.5 (llama.cpp)"}));
}

TEST(StudyPlan, GroupsShareOneCompressedModel) {
  const StudyPlan plan = make_plan(config(), kModels, "f32");
  std::map<std::size_t, std::set<std::string>> by_group;
  for (const Experiment& e : plan.experiments) {
    if (e.kind == ExperimentKind::kCompressed) by_group[e.group].insert(e.compression_key);
  }
  std::set<std::string> all;
  for (const auto& [group, keys] : by_group) {
    EXPECT_EQ(keys.size(), 1u);
    all.insert(*keys.begin());
  }
  EXPECT_EQ(all.size(), by_group.size());
}

TEST(StudyPlan, RecoverySettingsKeyOnlyTheRecoveredExperiments) {
  StudyConfig changed = config();
  changed.recovery.options.trainer.learning_rate *= 2;
  const StudyPlan a = make_plan(config(), kModels, "f32");
  const StudyPlan b = make_plan(changed, kModels, "f32");
  for (std::size_t i = 0; i < a.experiments.size(); ++i) {
    const bool recovered = a.experiments[i].tokens > 0;
    EXPECT_EQ(a.experiments[i].key == b.experiments[i].key, !recovered) << a.experiments[i].label();
  }
}

TEST(StudyPlan, DistillationAddsAnExperimentPerRecoveredBudgetAndKeepsNextTokensKeys) {
  StudyConfig both = config();
  both.recovery.objectives = {recover::Objective::kNextToken, recover::Objective::kDistillation};
  const StudyPlan lm = make_plan(config(), kModels, "f32");
  const StudyPlan plan = make_plan(both, kModels, "f32");
  std::map<std::string, const Experiment*> lm_keys;
  for (const Experiment& e : lm.experiments) lm_keys[e.key] = &e;
  std::size_t distilled = 0;
  std::set<std::string> keys;
  for (const Experiment& e : plan.experiments) {
    EXPECT_TRUE(keys.insert(e.key).second) << e.label();
    if (e.objective == recover::Objective::kNextToken) {
      // The experiments a next-token-only study planned, under the same keys: a store resumes.
      EXPECT_EQ(lm_keys.count(e.key), 1u) << e.label();
      continue;
    }
    ++distilled;
    EXPECT_GT(e.tokens, 0) << "an unrecovered model is trained by neither objective";
    EXPECT_EQ(e.config["recovery"]["objective"], "kd");
    EXPECT_NE(e.label().find(" kd "), std::string::npos) << e.label();
  }
  // Budgets D > 0 (100, 200) × methods × ratios × seeds.
  EXPECT_EQ(distilled, 2u * 2 * 3 * 2);
  EXPECT_EQ(plan.experiments.size(), lm.experiments.size() + distilled);
  // A distilled budget runs in the group of its compressed model.
  for (const Experiment& e : plan.experiments) {
    if (e.objective != recover::Objective::kDistillation) continue;
    const auto same_group =
        std::count_if(plan.experiments.begin(), plan.experiments.end(), [&](const Experiment& o) {
          return o.group == e.group && o.compression_key == e.compression_key;
        });
    EXPECT_EQ(same_group, 5) << e.label();  // D = 0, and 100 and 200 by each objective
  }
}

TEST(StudyPlan, SharesSplitWholeGroupsWithoutLossOrOverlap) {
  const StudyPlan plan = make_plan(config(), kModels, "f32");
  for (const int shards : {1, 2, 3, 5}) {
    for (const int jobs : {1, 2}) {
      std::map<std::string, int> seen;
      std::map<std::size_t, std::set<std::pair<int, int>>> owners;
      for (int s = 0; s < shards; ++s) {
        for (int j = 0; j < jobs; ++j) {
          for (const Experiment* e : share_of(plan, {s, shards}, {j, jobs})) {
            ++seen[e->key];
            owners[e->group].insert({s, j});
          }
        }
        for (const Experiment* e : speed_share_of(plan, {s, shards})) ++seen[e->key];
      }
      EXPECT_EQ(seen.size(), plan.experiments.size());
      for (const auto& [key, count] : seen) EXPECT_EQ(count, 1) << key;
      for (const auto& [group, who] : owners) EXPECT_EQ(who.size(), 1u) << "group " << group;
    }
  }
}

TEST(StudyPlan, SharesAreParsedOneBased) {
  const Share s = parse_share("2/4", "--shard");
  EXPECT_EQ(s.index, 1);
  EXPECT_EQ(s.count, 4);
  for (const char* bad : {"0/4", "5/4", "2", "a/b", "1/0", "1/2x"}) {
    EXPECT_THROW(parse_share(bad, "--shard"), Error) << bad;
  }
}

TEST(StudyPlan, TargetParamsSolveEachMethodsRatioForTheModel) {
  std::string toml = R"(name = "t"
models = ["stories260K"]
target_params = [0.3]
[methods.random]
[methods.slicegpt]
calib = "tinystories:train"
round = 1
[evaluation]
zero_shot = ["piqa"]
)";
  const StudyConfig targets = parse_study_config(toml, "t.toml", false);
  const std::vector<StudyModel> models = {
      {"stories260K", "0123456789abcdef", model::preset_config("tiny-qwen2")}};
  const StudyPlan plan = make_plan(targets, models, "f32");
  ASSERT_EQ(plan.experiments.size(), 3u);  // base, random, slicegpt
  for (const Experiment* e : {&plan.experiments[1], &plan.experiments[2]}) {
    EXPECT_EQ(e->target_params, 0.3);
    EXPECT_EQ(e->config["target_params"], 0.3);
    EXPECT_EQ(e->config["ratio"], e->ratio);
    const compress::MethodInfo& method = compress::method_info(e->method);
    const double achieved =
        method.removed_fraction(models[0].config, e->ratio,
                                method.options.complete(targets.method_named(e->method)->options));
    EXPECT_NEAR(achieved, 0.3, 0.05) << e->label();
  }
  EXPECT_NE(plan.experiments[1].ratio, plan.experiments[2].ratio);
}

}  // namespace
}  // namespace claw::study
