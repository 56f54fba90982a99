// A group's figures from its tasks' results, aggregated as lm-evaluation-harness aggregates
// groups: a mean over tasks (plain or weighted by their items), and the pooled sample standard
// error over them.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/json.h"
#include "data/task_groups.h"
#include "eval/zero_shot.h"

namespace claw::eval {

struct GroupResult {
  std::string name;
  std::vector<Metric> metrics;  // those every task of the group reports
  double chance = 0;            // aggregated as the metrics are
  std::int64_t tasks = 0, items = 0;
  std::string protocol;
  // Its subgroups (which its mean runs through) or its breakdown (reported beside it).
  std::vector<GroupResult> parts;
};

// `group` over `results`, which must hold a result for each of its tasks (an error names the
// first missing one).
GroupResult aggregate_group(const data::TaskGroup& group,
                            const std::vector<ZeroShotResult>& results);

// The harness's pooled_sample_stderr: the pooled variance of tasks of `sizes` items whose means
// have `standard_errors`, over the total items. NaN where it cannot be estimated.
double pooled_standard_error(const std::vector<double>& standard_errors,
                             const std::vector<std::int64_t>& sizes);

// One figure of a task or a group, as an average over tasks uses it.
struct TaskFigure {
  std::string name, metric;
  double value = 0, standard_error = 0, chance = 0;
};

TaskFigure figure_of(const ZeroShotResult& result);  // its average metric
TaskFigure figure_of(const GroupResult& group);      // its acc

// The unweighted mean of the figures (a task's acc_norm where it reports it, else acc; a group's
// acc), with the metric used per entry: {"accuracy", "standard_error", "chance", "metrics":
// {name: metric}}; null without figures. The entries are independent samples, so the mean's
// variance is the sum of their variances over the count squared.
Json zero_shot_average(const std::vector<TaskFigure>& figures);

}  // namespace claw::eval
