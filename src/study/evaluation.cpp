#include "study/evaluation.h"

#include <cmath>

#include "core/format.h"
#include "eval/intrinsic.h"
#include "eval/zero_shot.h"

namespace claw::study {

StudyEvaluation::StudyEvaluation(const EvaluationSpec& spec) : spec_(spec) {
  for (const LossTask& task : spec.loss) corpora_.push_back(data::load_corpus(task.task));
  for (const std::string& name : spec.zero_shot) tasks_.push_back(data::load_choice_task(name));
}

std::vector<MetricValue> StudyEvaluation::evaluate(const model::Model& model,
                                                   const text::Tokenizer& tokenizer) const {
  std::vector<MetricValue> metrics;
  for (std::size_t i = 0; i < corpora_.size(); ++i) {
    eval::IntrinsicOptions options;
    options.limit_tokens = spec_.loss[i].limit_tokens;
    options.batch = spec_.batch;
    options.progress = false;
    const eval::IntrinsicResult r =
        eval::evaluate_intrinsic(model, tokenizer, corpora_[i], options);
    const std::string& task = spec_.loss[i].task;
    metrics.push_back({"loss/" + task, r.loss, std::nullopt, r.protocol});
    metrics.push_back({"perplexity/" + task, r.perplexity, std::nullopt, r.protocol});
  }
  std::vector<eval::ZeroShotResult> results;
  for (const data::ChoiceTask& task : tasks_) {
    eval::ZeroShotOptions options;
    options.limit = spec_.zero_shot_limit;
    options.batch = spec_.batch;
    options.progress = false;
    results.push_back(eval::evaluate_zero_shot(model, tokenizer, task, options));
    const eval::ZeroShotResult& r = results.back();
    for (const eval::Metric& m : r.metrics) {
      metrics.push_back(
          {m.name + "/" + r.task, m.value,
           std::isfinite(m.standard_error) ? std::optional(m.standard_error) : std::nullopt,
           r.protocol});
    }
  }
  if (!results.empty()) {
    const Json average = eval::zero_shot_average(results);
    // The tasks are independent samples, so the mean's variance is the mean of their variances
    // over the number of tasks.
    double variance = 0;
    for (const eval::ZeroShotResult& r : results) {
      for (const eval::Metric& m : r.metrics) {
        if (m.name == r.average_metric) variance += m.standard_error * m.standard_error;
      }
    }
    const std::string used = join(results, [](const eval::ZeroShotResult& r) {
      return concat(r.task, " ", r.average_metric);
    });
    const double n = static_cast<double>(results.size());
    const double standard_error = std::sqrt(variance) / n;
    metrics.push_back({kAverageAccuracy, average["accuracy"].get<double>(),
                       std::isfinite(standard_error) ? std::optional(standard_error) : std::nullopt,
                       concat("unweighted mean over ", results.size(), " tasks (", used,
                              "), each as its own protocol states")});
  }
  return metrics;
}

}  // namespace claw::study
