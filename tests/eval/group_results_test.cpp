// Group figures against the harness's formulas worked by hand: a plain or item-weighted mean
// over tasks, and pooled_sample_stderr, sqrt(Σ (n_i - 1) s_i² n_i / (N - k) / N).
#include <gtest/gtest.h>

#include <cmath>

#include "eval/group_results.h"

namespace claw::eval {
namespace {

ZeroShotResult result(const std::string& task, const std::string& category, double acc,
                      std::int64_t items) {
  ZeroShotResult r;
  r.task = task;
  r.category = category;
  r.items_scored = items;
  const double error = std::sqrt(acc * (1 - acc) / static_cast<double>(items - 1));
  r.metrics = {{"acc", acc, error}};
  r.average_metric = "acc";
  r.chance = category == "a" ? 0.5 : 0.25;
  return r;
}

// Three tasks in two categories, of 10, 30 and 20 items.
std::vector<ZeroShotResult> three_tasks() {
  return {result("t1", "a", 0.5, 10), result("t2", "a", 0.7, 30), result("t3", "b", 0.9, 20)};
}

double error_of(double acc, double n) {
  return std::sqrt(acc * (1 - acc) / (n - 1));
}

TEST(GroupResults, PlainMeanWithAFieldBreakdown) {
  const std::vector<ZeroShotResult> results = three_tasks();
  data::TaskGroup group{"g",  {"t1", "t2", "t3"}, false, data::TaskGroup::Parts::kBreakdown,
                        "g_", {"a", "b"},         "test"};
  const GroupResult g = aggregate_group(group, results);
  EXPECT_NEAR(g.metrics.at(0).value, (0.5 + 0.7 + 0.9) / 3, 1e-12);
  const double pooled = std::sqrt((9 * std::pow(error_of(0.5, 10), 2) * 10 +
                                   29 * std::pow(error_of(0.7, 30), 2) * 30 +
                                   19 * std::pow(error_of(0.9, 20), 2) * 20) /
                                  (60 - 3) / 60);
  EXPECT_NEAR(g.metrics.at(0).standard_error, pooled, 1e-12);
  EXPECT_NEAR(g.chance, (0.5 + 0.5 + 0.25) / 3, 1e-12);
  EXPECT_EQ(g.items, 60);
  EXPECT_EQ(g.tasks, 3);
  ASSERT_EQ(g.parts.size(), 2u);
  EXPECT_EQ(g.parts[0].name, "g_a");
  EXPECT_NEAR(g.parts[0].metrics.at(0).value, 0.6, 1e-12);
  EXPECT_NEAR(g.parts[1].metrics.at(0).value, 0.9, 1e-12);
}

TEST(GroupResults, WeightedMeanThroughSubgroups) {
  const std::vector<ZeroShotResult> results = three_tasks();
  data::TaskGroup group{"g",  {"t1", "t2", "t3"}, true,  data::TaskGroup::Parts::kSubgroups,
                        "g_", {"a", "b"},         "test"};
  const GroupResult g = aggregate_group(group, results);
  // Weighted by items at every level: the mean over all 60 items.
  EXPECT_NEAR(g.metrics.at(0).value, (0.5 * 10 + 0.7 * 30 + 0.9 * 20) / 60, 1e-12);
  // The top level pools its subgroups' errors, as the harness nests groups.
  const double a = g.parts[0].metrics.at(0).standard_error;
  const double b = g.parts[1].metrics.at(0).standard_error;
  EXPECT_NEAR(g.metrics.at(0).standard_error,
              std::sqrt((39 * a * a * 40 + 19 * b * b * 20) / (60 - 2) / 60), 1e-12);
  EXPECT_NEAR(g.parts[0].metrics.at(0).value, (0.5 * 10 + 0.7 * 30) / 40, 1e-12);
}

TEST(GroupResults, AverageOverTasksAndGroups) {
  const Json average =
      zero_shot_average({{"x", "acc_norm", 0.4, 0.03, 0.25}, {"g", "acc", 0.6, 0.04, 0.5}});
  EXPECT_NEAR(average["accuracy"].get<double>(), 0.5, 1e-12);
  EXPECT_NEAR(average["standard_error"].get<double>(), 0.025, 1e-12);
  EXPECT_NEAR(average["chance"].get<double>(), 0.375, 1e-12);
  EXPECT_EQ(average["metrics"]["x"], "acc_norm");
}

TEST(GroupResults, MissingTaskIsAnError) {
  data::TaskGroup group{"g", {"t1", "t9"}, false, data::TaskGroup::Parts::kNone, "", {}, ""};
  EXPECT_ANY_THROW(aggregate_group(group, {result("t1", "a", 0.5, 10)}));
}

}  // namespace
}  // namespace claw::eval
