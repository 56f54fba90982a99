// Every task and group a command or a study asks for, evaluated in one pass: the tasks' results,
// the groups aggregated from them, and one figure per name for the average over tasks.
#pragma once

#include <functional>
#include <vector>

#include "data/task_groups.h"
#include "eval/group_results.h"
#include "eval/zero_shot.h"

namespace claw::eval {

struct SuiteResult {
  std::vector<ZeroShotResult> tasks;
  std::vector<GroupResult> groups;
  std::vector<TaskFigure> figures;  // per name asked for, in that order
};

// `on_task` sees each task's result as soon as it is ready, for progress output.
SuiteResult evaluate_suite(const ScoredModel& model, const text::Tokenizer& tokenizer,
                           const data::ChoiceTaskSet& set, const ZeroShotOptions& options,
                           const std::function<void(const ZeroShotResult&)>& on_task = {});

}  // namespace claw::eval
