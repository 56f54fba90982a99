#include "eval/group_results.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

#include "core/error.h"
#include "core/format.h"

namespace claw::eval {
namespace {

// What a task or a subgroup contributes to its group.
struct Entry {
  std::vector<Metric> metrics;
  double chance = 0;
  std::int64_t items = 0, tasks = 0;
};

Entry entry_of(const ZeroShotResult& r) {
  return {r.metrics, r.chance, r.items_scored, 1};
}

Entry entry_of(const GroupResult& g) {
  return {g.metrics, g.chance, g.items, g.tasks};
}

const Metric* find_metric(const std::vector<Metric>& metrics, const std::string& name) {
  const auto it =
      std::find_if(metrics.begin(), metrics.end(), [&](const Metric& m) { return m.name == name; });
  return it == metrics.end() ? nullptr : &*it;
}

GroupResult combine(const std::string& name, const std::vector<Entry>& entries,
                    bool weight_by_size) {
  const auto weight = [&](const Entry& e) {
    return weight_by_size ? static_cast<double>(e.items) : 1.0;
  };
  GroupResult group;
  group.name = name;
  double weights = 0;
  for (const Entry& e : entries) {
    weights += weight(e);
    group.chance += weight(e) * e.chance;
    group.items += e.items;
    group.tasks += e.tasks;
  }
  group.chance /= weights;
  for (const Metric& first : entries.front().metrics) {
    double sum = 0;
    std::vector<double> errors;
    std::vector<std::int64_t> sizes;
    bool everywhere = true;
    for (const Entry& e : entries) {
      const Metric* m = find_metric(e.metrics, first.name);
      if (m == nullptr) {
        everywhere = false;
        break;
      }
      sum += weight(e) * m->value;
      errors.push_back(m->standard_error);
      sizes.push_back(e.items);
    }
    if (everywhere) {
      group.metrics.push_back({first.name, sum / weights, pooled_standard_error(errors, sizes)});
    }
  }
  return group;
}

}  // namespace

double pooled_standard_error(const std::vector<double>& standard_errors,
                             const std::vector<std::int64_t>& sizes) {
  double variance = 0, total = 0;
  for (std::size_t i = 0; i < sizes.size(); ++i) {
    const auto n = static_cast<double>(sizes[i]);
    variance += (n - 1) * standard_errors[i] * standard_errors[i] * n;
    total += n;
  }
  const double dof = total - static_cast<double>(sizes.size());
  if (dof <= 0 || !std::isfinite(variance)) return std::numeric_limits<double>::quiet_NaN();
  return std::sqrt(variance / dof / total);
}

GroupResult aggregate_group(const data::TaskGroup& group,
                            const std::vector<ZeroShotResult>& results) {
  // The group's tasks, by category where it has parts.
  std::map<std::string, std::vector<Entry>> by_category;
  std::vector<Entry> tasks;
  for (const std::string& task : group.tasks) {
    const auto it = std::find_if(results.begin(), results.end(),
                                 [&](const ZeroShotResult& r) { return r.task == task; });
    CLAW_CHECK(it != results.end(), group.name, ": no result for its task ", task);
    tasks.push_back(entry_of(*it));
    by_category[it->category].push_back(tasks.back());
  }
  std::vector<GroupResult> parts;
  if (group.parts != data::TaskGroup::Parts::kNone) {
    for (const std::string& category : group.categories) {
      if (by_category.count(category) == 0) continue;
      parts.push_back(
          combine(group.part_prefix + category, by_category[category], group.weight_by_size));
    }
  }
  GroupResult result;
  if (group.parts == data::TaskGroup::Parts::kSubgroups) {
    std::vector<Entry> subgroups;
    for (const GroupResult& part : parts) subgroups.push_back(entry_of(part));
    result = combine(group.name, subgroups, group.weight_by_size);
  } else {
    result = combine(group.name, tasks, group.weight_by_size);
  }
  result.parts = std::move(parts);
  result.protocol =
      concat(group.name, ": ", group.description, "; stderr pooled over its ",
             group.parts == data::TaskGroup::Parts::kSubgroups ? "groups" : "tasks",
             " (the harness's pooled_sample_stderr); each task as its own protocol states");
  return result;
}

TaskFigure figure_of(const ZeroShotResult& result) {
  const Metric* m = find_metric(result.metrics, result.average_metric);
  return {result.task, result.average_metric, m->value, m->standard_error, result.chance};
}

TaskFigure figure_of(const GroupResult& group) {
  const Metric* m = find_metric(group.metrics, "acc");
  CLAW_CHECK(m != nullptr, group.name, ": its tasks do not all report acc");
  return {group.name, "acc", m->value, m->standard_error, group.chance};
}

Json zero_shot_average(const std::vector<TaskFigure>& figures) {
  if (figures.empty()) return nullptr;
  double sum = 0, variance = 0, chance = 0;
  Json metrics = Json::object();
  for (const TaskFigure& f : figures) {
    sum += f.value;
    variance += f.standard_error * f.standard_error;
    chance += f.chance;
    metrics[f.name] = f.metric;
  }
  const auto n = static_cast<double>(figures.size());
  const double standard_error = std::sqrt(variance) / n;
  return {{"accuracy", sum / n},
          {"standard_error", std::isfinite(standard_error) ? Json(standard_error) : Json(nullptr)},
          {"chance", std::isfinite(chance) ? Json(chance / n) : Json(nullptr)},
          {"metrics", metrics}};
}

}  // namespace claw::eval
