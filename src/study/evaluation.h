// A study's evaluation of one model: the loss on each corpus and the zero-shot accuracies with
// their average, as store metrics with their protocols. The data is loaded once per study.
#pragma once

#include <vector>

#include "data/corpus.h"
#include "data/task_groups.h"
#include "eval/scored_model.h"
#include "study/store.h"
#include "study/study_config.h"
#include "text/tokenizer.h"

namespace claw::study {

class StudyEvaluation {
 public:
  explicit StudyEvaluation(const EvaluationSpec& spec);

  struct Result {
    // loss/T and perplexity/T per corpus T; acc/T, acc_norm/T and chance/T per task;
    // accuracy/G, chance/G and acc/PART per group G; accuracy/average and chance/average.
    std::vector<MetricValue> metrics;
    // For the record: each loss/T's summed loss per document or window (span_losses.h).
    Json record = Json::object();
  };
  Result evaluate(const eval::ScoredModel& model, const text::Tokenizer& tokenizer) const;

 private:
  const EvaluationSpec& spec_;
  std::vector<data::Corpus> corpora_;
  data::ChoiceTaskSet tasks_;
};

}  // namespace claw::study
