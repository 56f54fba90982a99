#include "data/task_groups.h"

#include <algorithm>

#include "core/error.h"
#include "core/format.h"
#include "data/blimp.h"
#include "data/mmlu.h"

namespace claw::data {
namespace {

// blimp, or with `field` the paradigms of one field.
TaskGroup blimp_group(std::string_view field) {
  TaskGroup group;
  if (field.empty()) {
    group.name = "blimp";
    group.parts = TaskGroup::Parts::kBreakdown;
    group.part_prefix = "blimp_";
    group.categories.assign(blimp_fields().begin(), blimp_fields().end());
    group.description =
        "plain mean of acc over the 67 paradigms (weight_by_size: false), with each field's "
        "plain mean beside it";
  } else {
    group.name = concat("blimp_", field);
    group.description = concat("plain mean of acc over the ", field,
                               " paradigms (claw's field group; weight_by_size: false)");
  }
  for (const BlimpParadigm& p : blimp_paradigms()) {
    if (field.empty() || p.field == field) group.tasks.push_back(concat("blimp_", p.uid));
  }
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
    group.categories.assign(mmlu_categories().begin(), mmlu_categories().end());
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
  if (name == "blimp") return blimp_group("");
  for (const std::string_view field : blimp_fields()) {
    if (name == concat("blimp_", field)) return blimp_group(field);
  }
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
