// How well a law predicts settings it was not fitted on: refits that leave out one ratio, one
// recovery budget or one frontier (model and dataset) at a time, and the rolling extrapolation
// of the paper's later version, which fits on r ≤ r_k and predicts every r > r_k.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/json.h"
#include "laws/law_fit.h"

namespace claw::laws {

struct HeldOutFold {
  std::string held_out;  // what the fold predicts: "0.5", "r > 0.5", ...
  std::int64_t rows = 0;
  std::string skipped;  // why no refit was possible (too few rows, ...); empty when it was
};

struct HeldOutPrediction {
  std::string frontier;
  double ratio = 0, tokens = 0, observed = 0, predicted = 0;
};

// Errors of a set of held-out predictions, in units of the metric and in percent.
struct PredictionErrors {
  std::int64_t predicted = 0;
  double rmse = 0;
  double mape = 0;            // mean absolute percentage error
  double mape_std_error = 0;  // its standard error, sd(|error| / L) / √n, in percent
  Json json() const;
};
PredictionErrors prediction_errors(const std::vector<HeldOutPrediction>& predictions);

struct HeldOutQuality {
  std::string by;  // "ratio", "tokens", "frontier" or "rolling"
  std::vector<HeldOutFold> folds;
  std::vector<HeldOutPrediction> predictions;
  PredictionErrors errors;                              // over every prediction
  std::map<std::string, PredictionErrors> by_frontier;  // the same, per frontier

  // Whether every fold was refitted, so that the errors cover every row they should.
  bool complete() const;
  Json json() const;
};

// The groupings that apply: each with at least two groups; "frontier" for a pooled law only;
// "rolling" with at least three ratios, its folds fitting on the first half of the ratios or
// more (the same folds for every form, so their errors compare).
std::vector<HeldOutQuality> held_out_quality(const LawSpec& spec,
                                             const std::vector<Observation>& observations);

// A grouping's MAPE for tables: "4.14%", "> 1000%" beyond that (a law that blows up off its
// data), "-" when there is none, with "*" when a fold could not be refitted.
std::string mape_text(const HeldOutQuality* quality);

// The entry of `qualities` for `by`, or null.
const HeldOutQuality* find_held_out(const std::vector<HeldOutQuality>& qualities,
                                    const std::string& by);

}  // namespace claw::laws
