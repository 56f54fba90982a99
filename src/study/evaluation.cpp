#include "study/evaluation.h"

#include <cmath>

#include "core/format.h"
#include "eval/intrinsic.h"
#include "eval/zero_shot_suite.h"
#include "study/span_losses.h"

namespace claw::study {

StudyEvaluation::StudyEvaluation(const EvaluationSpec& spec)
    : spec_(spec), tasks_(data::load_choice_tasks(spec.zero_shot)) {
  for (const LossTask& task : spec.loss) corpora_.push_back(data::load_corpus(task.task));
}

StudyEvaluation::Result StudyEvaluation::evaluate(const eval::ScoredModel& model,
                                                  const text::Tokenizer& tokenizer) const {
  Result result;
  std::vector<MetricValue>& metrics = result.metrics;
  const auto error = [](double e) { return std::isfinite(e) ? std::optional(e) : std::nullopt; };
  for (std::size_t i = 0; i < corpora_.size(); ++i) {
    eval::IntrinsicOptions options;
    options.limit_tokens = spec_.loss[i].limit_tokens;
    options.batch = spec_.batch;
    options.progress = false;
    const eval::IntrinsicResult r = eval::score_intrinsic(
        model, eval::plan_intrinsic(model.config(), tokenizer, corpora_[i], options), options);
    const std::string& task = spec_.loss[i].task;
    const MetricName loss = MetricName::of(MetricKind::kLoss, task);
    metrics.push_back({loss, r.loss, error(r.standard_error), r.protocol});
    SpanLosses spans;
    for (const eval::SpanLoss& s : r.spans) {
      spans.nll.push_back(s.nll);
      spans.targets.push_back(s.targets);
    }
    record_span_losses(result.record, loss, spans);
    metrics.push_back(
        {MetricName::of(MetricKind::kPerplexity, task), r.perplexity, std::nullopt, r.protocol});
  }
  if (tasks_.names.empty()) return result;
  eval::ZeroShotOptions options;
  options.limit = spec_.zero_shot_limit;
  options.batch = spec_.batch;
  options.progress = false;
  const eval::SuiteResult suite = eval::evaluate_suite(model, tokenizer, tasks_, options);
  const auto add_chance = [&](const std::string& name, double chance) {
    if (std::isfinite(chance)) {
      metrics.push_back({MetricName::of(MetricKind::kChance, name), chance, std::nullopt,
                         concat("the accuracy of a uniform guess on ", name,
                                "'s items (the mean of 1 / choices), aggregated as its accuracy")});
    }
  };
  for (const eval::ZeroShotResult& r : suite.tasks) {
    for (const eval::Metric& m : r.metrics) {
      metrics.push_back({MetricName::of(quality_kind_named(m.name), r.task), m.value,
                         error(m.standard_error), r.protocol});
    }
    add_chance(r.task, r.chance);
  }
  // A group's figure is an extrinsic frontier of its own; its parts are reported beside it.
  for (const eval::GroupResult& g : suite.groups) {
    const eval::TaskFigure figure = eval::figure_of(g);
    metrics.push_back({MetricName::of(MetricKind::kAccuracy, g.name), figure.value,
                       error(figure.standard_error), g.protocol});
    add_chance(g.name, g.chance);
    for (const eval::GroupResult& part : g.parts) {
      const eval::TaskFigure p = eval::figure_of(part);
      metrics.push_back({MetricName::of(MetricKind::kAcc, part.name), p.value,
                         error(p.standard_error), g.protocol});
      add_chance(part.name, part.chance);
    }
  }
  const Json average = eval::zero_shot_average(suite.figures);
  const std::string used =
      join(suite.figures, [](const eval::TaskFigure& f) { return concat(f.name, " ", f.metric); });
  const std::string protocol = concat("unweighted mean over ", suite.figures.size(), " tasks (",
                                      used, "), each as its own protocol states");
  metrics.push_back({kAverageAccuracy, average["accuracy"].get<double>(),
                     average["standard_error"].is_null()
                         ? std::nullopt
                         : std::optional(average["standard_error"].get<double>()),
                     protocol});
  if (!average["chance"].is_null()) {
    add_chance("average", average["chance"].get<double>());
  }
  return result;
}

}  // namespace claw::study
