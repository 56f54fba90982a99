// The laws of a study's store: its results as observations the law fits, the law chosen by
// prediction per method family and pooled, for the loss (intrinsic) and the zero-shot accuracies
// (extrinsic), and the critical ratios the chosen laws imply.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "laws/critical.h"
#include "laws/observation.h"
#include "laws/selection.h"
#include "recover/objective.h"
#include "study/store.h"

namespace claw::study {

// "calibration-free" (random, magnitude, prunenet) or "calibration-based" (slicegpt).
std::string method_family(const std::string& method);

// The chance level recorded beside an accuracy metric of `result` ("acc/piqa" -> the value of
// "chance/piqa"), if any.
std::optional<double> chance_level(const ExperimentResult& result, const MetricName& metric);

// Whether the base model's `metric` cannot be told from its chance level (laws::base_at_chance).
bool at_chance(const ExperimentResult& base, const MetricName& metric);

// One observation per compressed experiment and metric (loss, perplexity, acc, acc_norm,
// accuracy), with L0 from the base experiment of the same model and evaluation, and for an
// accuracy its chance level and L0's standard error. `source` names the store in messages.
std::vector<laws::Observation> store_observations(const std::vector<ExperimentResult>& results,
                                                  const std::string& source);

// The family of a fit pooled over every method (made where a study has more than one family).
inline constexpr const char* kAllMethods = "all methods";

// A fit's group as the report names it: the family, then the objective when it is not
// next-token training ("calibration-free · kd").
std::string group_name(const std::string& family, recover::Objective objective);

// Each metric is fitted per method family and recovery objective: distillation's D term is its
// own. An unrecovered experiment (D = 0) is in the fits of every objective, as the point each
// recovery starts from.
struct StudyFit {
  std::string metric;  // "loss" (every loss frontier) or "accuracy" (the extrinsic frontiers)
  std::string family;  // a method family, or kAllMethods
  recover::Objective objective = recover::Objective::kNextToken;
  std::vector<laws::Observation> observations;  // those fitted: frontiers above chance
  std::vector<std::string> warnings;            // the frontiers left out at chance
  laws::LawSelection selection;                 // every form tried; the chosen one

  const laws::Candidate* chosen() const { return selection.chosen_candidate(); }
  std::string group() const { return group_name(family, objective); }
};
std::vector<StudyFit> fit_study_laws(const std::vector<laws::Observation>& observations);

inline constexpr double kCriticalSigmas[] = {0.8, 0.9, 0.95};

struct CriticalRow {
  std::string metric, family, frontier;
  recover::Objective objective = recover::Objective::kNextToken;
  double base_value = 0;         // L0
  double sigma = 0;              // the share of performance kept
  double target = 0;             // σ·L0 for an accuracy, L0/σ for a loss
  std::optional<double> tokens;  // D; unset: unlimited recovery
  laws::CriticalRatio critical;
  std::string group() const { return group_name(family, objective); }
};
// For each chosen law, frontier, σ and D in {0, the largest budget, unlimited}: the ratio at
// which an accuracy falls to σ·L0, or a loss rises to L0/σ. An accuracy target at or below chance
// gets no ratio: a model there is no better than a guess.
std::vector<CriticalRow> critical_ratios(const std::vector<StudyFit>& fits);

}  // namespace claw::study
