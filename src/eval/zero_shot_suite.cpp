#include "eval/zero_shot_suite.h"

#include <algorithm>

namespace claw::eval {

SuiteResult evaluate_suite(const ScoredModel& model, const text::Tokenizer& tokenizer,
                           const data::ChoiceTaskSet& set, const ZeroShotOptions& options,
                           const std::function<void(const ZeroShotResult&)>& on_task) {
  SuiteResult suite;
  for (const data::ChoiceTask& task : set.tasks) {
    suite.tasks.push_back(evaluate_zero_shot(model, tokenizer, task, options));
    if (on_task) on_task(suite.tasks.back());
  }
  for (const data::TaskGroup& group : set.groups) {
    suite.groups.push_back(aggregate_group(group, suite.tasks));
  }
  for (const std::string& name : set.names) {
    const auto group = std::find_if(suite.groups.begin(), suite.groups.end(),
                                    [&](const GroupResult& g) { return g.name == name; });
    if (group != suite.groups.end()) {
      suite.figures.push_back(figure_of(*group));
      continue;
    }
    const auto task = std::find_if(suite.tasks.begin(), suite.tasks.end(),
                                   [&](const ZeroShotResult& r) { return r.task == name; });
    suite.figures.push_back(figure_of(*task));
  }
  return suite;
}

}  // namespace claw::eval
