// A law form fitted to observations by OLS on log L: one coefficient set for every frontier, or
// one per frontier; its diagnostics, and its predictions with 95% intervals.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/json.h"
#include "laws/law_form.h"
#include "laws/observation.h"
#include "laws/ols.h"

namespace claw::laws {

// How much of log L a fit explains, on the same scale for every form and scope.
struct FitDiagnostics {
  double rss = 0;  // Σ (log L − fitted)²
  // 1 − RSS / Σ (log L − mean log L)²: the centred R² of log L, which unlike statsmodels'
  // uncentred R² of a fit without a constant is not near 1 for almost any data.
  double r_squared_log = 0;
  // 1 − RSS / Σ (log L − log L0)²: how much better than the null law L = L0.
  double r_squared_null = 0;
  Json json() const;
};

// One coefficient set: the whole law when pooled, one frontier's when per frontier.
struct LawPart {
  std::string frontier;                       // "" when pooled: every frontier
  double d_scale = 1e6;                       // s, tokens per unit of D in g(D)
  std::map<std::string, double> base_values;  // the frontiers fitted on and their L0
  double min_ratio = 0, max_ratio = 0;        // the ratios fitted on
  OlsFit fit;
  FitDiagnostics diagnostics;
  // Set when the fit cannot tell the metric changes with r at all (the 95% interval of the
  // predicted change from the smallest to the largest ratio, at D = 0, holds 0): the law then
  // says nothing about compression and gives no critical ratio.
  std::string warning;
};

struct FittedLaw {
  LawSpec spec;
  std::vector<Term> terms;  // the form's, less those the data cannot identify
  std::vector<LawPart> parts;
  std::vector<std::string> notes;  // what could not be identified, what was fixed
  FitDiagnostics diagnostics;      // over every part

  // The coefficients fitted, with a fitted D scale counted as one more per part.
  std::int64_t parameters() const;
  // The part that covers `frontier`: the pooled one, or that frontier's. An error names the
  // frontiers a per-frontier law has.
  const LawPart& part_for(const std::string& frontier) const;
  // Whether part_for(frontier) has a part to give.
  bool covers(const std::string& frontier) const;

  Json json() const;
  static FittedLaw from_json(const Json& json, const std::string& source);
};

// Checks the observations (positive L and L0, r in [0, 1), D ≥ 0, enough rows and distinct
// values for each term) and fits. A term of D is left out with a note when every observation
// has the same D; a term of r, or an intercept beside α with one L0, is an error naming the
// coefficients that cannot be identified.
FittedLaw fit_law(const LawSpec& spec, const std::vector<Observation>& observations);

// The predicted metric with its 95% prediction interval for a new experiment (taken on the log
// scale, so it is not symmetric). `tokens` unset means unlimited recovery.
Interval predict(const FittedLaw& law, const std::string& frontier, double base_value, double ratio,
                 std::optional<double> tokens);

// The same for an observation: its frontier, L0, r and D.
Interval predict(const FittedLaw& law, const Observation& o);

// The log-scale residual of an observation: log L − the law's log L.
double log_residual(const FittedLaw& law, const Observation& o);

// The share of `observations` whose value lies inside the law's 95% prediction interval.
double prediction_band_coverage(const FittedLaw& law, const std::vector<Observation>& observations);

// Refuses what no law can take: a non-positive L or L0, r outside [0, 1), D < 0.
void check_observation(const Observation& o);

}  // namespace claw::laws
