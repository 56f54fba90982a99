#include "data/task_groups.h"

#include <algorithm>

#include "core/error.h"
#include "core/format.h"
#include "data/blimp.h"
#include "data/mmlu.h"

namespace claw::data {
namespace {

TaskGroup blimp_group() {
  TaskGroup group{"blimp",
                  {},
                  false,
                  TaskGroup::Parts::kBreakdown,
                  "blimp_",
                  "plain mean of acc over the 67 paradigms (weight_by_size: false); the field "
                  "means are plain means over each field's paradigms"};
  for (const std::string_view uid : blimp_paradigms()) group.tasks.push_back(concat("blimp_", uid));
  return group;
}

// mmlu, or with `category` one of its category groups.
TaskGroup mmlu_group(std::string_view category) {
  TaskGroup group;
  group.weight_by_size = true;
  if (category.empty()) {
    group.name = "mmlu";
    group.parts = TaskGroup::Parts::kSubgroups;
    group.part_prefix = "mmlu_";
    group.description =
        "mean of acc over the four category groups weighted by their questions "
        "(weight_by_size: true), i.e. over all questions";
  } else {
    group.name = concat("mmlu_", category);
    group.description = concat("mean of acc over the ", category,
                               " subjects weighted by their questions (weight_by_size: true)");
  }
  for (const MmluSubject& subject : mmlu_subjects()) {
    if (category.empty() || subject.category == category) {
      group.tasks.push_back(concat("mmlu_", subject.name));
    }
  }
  return group;
}

}  // namespace

std::optional<TaskGroup> find_task_group(std::string_view name) {
  if (name == "blimp") return blimp_group();
  if (name == "mmlu") return mmlu_group("");
  for (const std::string_view category : mmlu_categories()) {
    if (name == concat("mmlu_", category)) return mmlu_group(category);
  }
  return std::nullopt;
}

std::string task_group_names_help() {
  return "blimp, mmlu, " +
         join(mmlu_categories(), [](std::string_view c) { return concat("mmlu_", c); });
}

ChoiceTaskSet load_choice_tasks(const std::vector<std::string>& names,
                                const ChoiceTaskOptions& options) {
  ChoiceTaskSet set;
  const auto load = [&](const std::string& task) {
    const bool loaded = std::any_of(set.tasks.begin(), set.tasks.end(),
                                    [&](const ChoiceTask& t) { return t.name == task; });
    if (!loaded) set.tasks.push_back(load_choice_task(task, options));
  };
  for (const std::string& name : names) {
    if (std::find(set.names.begin(), set.names.end(), name) != set.names.end()) continue;
    set.names.push_back(name);
    if (std::optional<TaskGroup> group = find_task_group(name)) {
      for (const std::string& task : group->tasks) load(task);
      set.groups.push_back(std::move(*group));
    } else {
      load(name);
    }
  }
  return set;
}

}  // namespace claw::data
