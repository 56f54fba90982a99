// Accuracies near chance: which bases count as at chance, the warning for their frontiers, and
// the share of the way from chance to a perfect score.
#include <gtest/gtest.h>

#include "core/error.h"
#include "laws/chance.h"

namespace claw::laws {
namespace {

Observation accuracy(const std::string& task, double value, double base, double chance,
                     std::optional<double> error) {
  Observation o;
  o.model = "m";
  o.task = task;
  o.metric = "accuracy";
  o.ratio = 0.5;
  o.value = value;
  o.base_value = base;
  o.chance = chance;
  o.base_std_error = error;
  o.source = "r.csv";
  o.line = 2;
  return o;
}

TEST(Chance, ABaseWithinTwoStandardErrorsOfChanceIsAtChance) {
  EXPECT_TRUE(base_at_chance(accuracy("t", 0.5, 0.53, 0.5, 0.02)));   // 1.5 standard errors
  EXPECT_FALSE(base_at_chance(accuracy("t", 0.5, 0.55, 0.5, 0.02)));  // 2.5
  EXPECT_TRUE(base_at_chance(accuracy("t", 0.5, 0.49, 0.5, std::nullopt)));
  EXPECT_FALSE(base_at_chance(accuracy("t", 0.5, 0.51, 0.5, std::nullopt)));
  Observation loss = accuracy("t", 3, 2, 0.5, std::nullopt);
  loss.chance.reset();
  EXPECT_FALSE(base_at_chance(loss));
}

TEST(Chance, FrontiersAtChanceAreLeftOutWithAWarning) {
  const ChanceScreen screen = leave_out_chance_frontiers({accuracy("piqa", 0.5, 0.51, 0.5, 0.02),
                                                          accuracy("piqa", 0.49, 0.51, 0.5, 0.02),
                                                          accuracy("blimp", 0.55, 0.6, 0.5, 0.01)});
  ASSERT_EQ(screen.kept.size(), 1u);
  EXPECT_EQ(screen.kept[0].task, "blimp");
  ASSERT_EQ(screen.warnings.size(), 1u);
  EXPECT_NE(screen.warnings[0].find("m/piqa"), std::string::npos) << screen.warnings[0];
  EXPECT_NE(screen.warnings[0].find("not 2 standard errors above chance (0.5)"), std::string::npos)
      << screen.warnings[0];
}

TEST(Chance, AboveChanceIsTheShareOfTheWayToPerfect) {
  std::vector<std::string> notes;
  const std::vector<Observation> out = above_chance(
      {accuracy("t", 0.625, 0.75, 0.5, 0.02), accuracy("t", 0.45, 0.75, 0.5, 0.02)}, notes);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_DOUBLE_EQ(out[0].value, 0.25);
  EXPECT_DOUBLE_EQ(out[0].base_value, 0.5);
  EXPECT_DOUBLE_EQ(*out[0].base_std_error, 0.04);
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_NE(notes[0].find("1 observations at or below chance were left out"), std::string::npos);
  Observation unknown = accuracy("t", 0.6, 0.7, 0.5, 0.02);
  unknown.chance.reset();
  EXPECT_THROW(above_chance({unknown}, notes), Error);
}

}  // namespace
}  // namespace claw::laws
