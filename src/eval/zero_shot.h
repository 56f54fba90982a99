// Zero-shot and few-shot accuracy with lm-evaluation-harness 0.4 semantics (docs/architecture.md,
// "Protocols"): acc, acc_norm and, for LAMBADA, perplexity, each with the harness's standard
// error, and the accuracy that guessing would get.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/json.h"
#include "data/choice_task.h"
#include "eval/loglikelihood.h"
#include "model/model.h"
#include "text/tokenizer.h"

namespace claw::eval {

struct ZeroShotOptions {
  std::int64_t limit = 0;             // evaluate N items: the first N, or a sample with `seed`
  std::optional<std::uint64_t> seed;  // with limit: a seeded sample, kept in file order
  std::int64_t batch = 8;             // questions per forward pass
  bool share_prefix = true;
  bool progress = true;
  bool keep_samples = false;  // fill ZeroShotResult::samples
  Harness harness = kDefaultHarness;
};

struct Metric {
  std::string name;  // acc, acc_norm or perplexity
  double value = 0;
  double standard_error;  // NaN when it cannot be estimated (a single item)
};

// One item as scored, for --log-samples.
struct ScoredItem {
  std::int64_t doc_id = 0;  // the item's place among its file's documents (ChoiceItem::index)
  const data::ChoiceItem* item = nullptr;
  std::vector<ContinuationScore> scores;  // per choice
  std::int64_t prediction = 0;
  std::int64_t prediction_norm = -1;  // -1 where acc_norm is not reported
};

struct ZeroShotResult {
  std::string task;
  std::vector<Metric> metrics;
  std::string average_metric;  // the metric the cross-task average uses
  // The expected accuracy of a uniform guess: the mean over items of 1 / choices; NaN where
  // guessing has no accuracy (LAMBADA).
  double chance = 0;
  std::string category;  // the task's, for group breakdowns
  std::int64_t num_fewshot = 0;
  std::int64_t items_available = 0, items_scored = 0;
  std::vector<std::string> skipped;  // why each left-out item was left out
  std::string protocol;
  double seconds = 0;
  LoglikelihoodWork work;
  std::vector<ScoredItem> samples;  // with keep_samples
};

ZeroShotResult evaluate_zero_shot(const ScoredModel& model, const text::Tokenizer& tokenizer,
                                  const data::ChoiceTask& task, const ZeroShotOptions& options);

// The harness's standard error of a mean: sample standard deviation (n - 1) over √n.
double mean_standard_error(const std::vector<double>& values);

}  // namespace claw::eval
