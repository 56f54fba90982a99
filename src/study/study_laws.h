// The laws of a study's store: its results as observations the law fits, the fits per method
// family and pooled, for the loss (intrinsic) and the zero-shot average (extrinsic), and the
// critical ratios they imply.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "laws/compression_law.h"
#include "laws/held_out.h"
#include "laws/observation.h"
#include "study/store.h"

namespace claw::study {

// "calibration-free" (random, magnitude, prunenet) or "calibration-based" (slicegpt).
std::string method_family(const std::string& method);

// The chance level recorded beside an accuracy metric of `result` ("acc/piqa" -> the value of
// "chance/piqa"), if any.
std::optional<double> chance_level(const ExperimentResult& result, const std::string& metric);

// How many standard errors above chance an accuracy must be before a law is fitted to it.
inline constexpr double kChanceSigmas = 3;

// Whether the base model's `metric` is within kChanceSigmas standard errors of its chance level
// (or has no error to tell): a law fitted to it would be fitted to noise.
bool at_chance(const ExperimentResult& base, const std::string& metric);

// One observation per compressed experiment and metric (loss, perplexity, acc, acc_norm,
// accuracy), with L0 from the base experiment of the same model and evaluation; an accuracy
// whose base is at chance gives none. `source` names the store in messages.
std::vector<laws::Observation> store_observations(const std::vector<ExperimentResult>& results,
                                                  const std::string& source);

struct StudyFit {
  std::string metric;  // "loss" (every loss frontier pooled) or "accuracy" (the average)
  std::string family;  // a method family, or "all methods"
  std::vector<laws::Observation> observations;
  std::optional<laws::CompressionLaw> law;  // unset when it could not be fitted
  std::vector<laws::HeldOutQuality> held_out;
  std::string error;  // why not
};
std::vector<StudyFit> fit_study_laws(const std::vector<laws::Observation>& observations);

// How a metric bends against r, for the report's check of the paper's findings: the R² of a
// least-squares line through the points, and the mean of their second divided differences
// (2a for points on a·x² + b·x + c; positive: faster than linear). Points sorted by x, at least 3.
struct CurveShape {
  double linear_r_squared = 0;
  double mean_second_derivative = 0;
};
CurveShape curve_shape(const std::vector<std::pair<double, double>>& points);

inline constexpr double kCriticalSigmas[] = {0.8, 0.9, 0.95};

struct CriticalRow {
  std::string metric, family, frontier;
  double base_value = 0;         // L0
  double sigma = 0;              // the share of performance kept
  double target = 0;             // σ·L0 for an accuracy, L0/σ for a loss
  std::optional<double> tokens;  // D; unset: unlimited recovery
  laws::CriticalRatio critical;
};
// For each fit, frontier, σ and D in {0, the largest budget, unlimited}: the ratio at which an
// accuracy falls to σ·L0, or a loss rises to L0/σ.
std::vector<CriticalRow> critical_ratios(const std::vector<StudyFit>& fits);

}  // namespace claw::study
