// Groups of zero-shot tasks reported as one figure, aggregated as lm-evaluation-harness's group
// configs do (docs/zero-shot.md, "Groups").
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "data/choice_task.h"

namespace claw::data {

struct TaskGroup {
  std::string name;                // "blimp", "mmlu", "mmlu_stem", ...
  std::vector<std::string> tasks;  // its tasks, in the harness's order
  // The harness's weight_by_size: the item-weighted mean (MMLU) or the plain mean of the tasks'
  // figures (BLiMP).
  bool weight_by_size = false;
  // How the tasks' categories (ChoiceTask::category) enter: as subgroups that the group's mean
  // runs through, as the harness nests mmlu over mmlu_stem … mmlu_other; or as a breakdown
  // reported beside the group's mean and not part of it (BLiMP's fields). Each part is named
  // part_prefix + category.
  enum class Parts { kNone, kSubgroups, kBreakdown };
  Parts parts = Parts::kNone;
  std::string part_prefix;
  std::vector<std::string> categories;  // of the parts, in the order they are reported
  std::string description;              // how the figure is formed, for the protocol line
};

// The group called `name`, or nullopt when `name` names none.
std::optional<TaskGroup> find_task_group(std::string_view name);

// The group names, for help texts.
std::string task_group_names_help();

// What a list of task and group names asks for.
struct ChoiceTaskSet {
  std::vector<ChoiceTask> tasks;   // every task to run, each once, in the order first named
  std::vector<TaskGroup> groups;   // the groups named
  std::vector<std::string> names;  // as given, each once: the entries of an average over tasks
};

// Loads every task `names` asks for, a group's tasks included.
ChoiceTaskSet load_choice_tasks(const std::vector<std::string>& names,
                                const ChoiceTaskOptions& options = {});

}  // namespace claw::data
