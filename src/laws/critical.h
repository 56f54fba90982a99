// The critical compression ratio: the smallest r at which a law's prediction reaches σ·L0, with
// the interval of ratios at which a new experiment's 95% prediction interval reaches it.
#pragma once

#include <optional>
#include <string>

#include "laws/law_fit.h"

namespace claw::laws {

struct CriticalRatio {
  // Why there is or is not a ratio: the target is reached at some r in (0, 1); the law is past
  // it already at r = 0; no r below 1 reaches it; or a warning (or the caller) withholds it.
  enum Outcome { kReached, kPastAtZero, kNotReached, kWithheld } outcome = kWithheld;
  // r*, unset when no ratio in [0, 1) reaches the target (or a warning withholds it).
  std::optional<double> ratio;
  // The 95% interval: from the first r at which the prediction interval touches the target to the
  // first at which all of it is past the target. `high` unset: not before r = 1.
  std::optional<double> low, high;
  std::string meaning;  // a sentence for people, also when there is no ratio
};

// σ > 1 asks when a metric that rises under compression (a loss) reaches σ·L0; σ < 1 when one
// that falls (an accuracy) does. The prediction is followed from r = 0 upwards and the first
// crossing is taken, so a law need not be monotone. For the paper's v1 at D → ∞ with α = 1 this
// is σ^(1/β) − 1. A part with a warning gives no ratio; its warning is the meaning.
CriticalRatio critical_ratio(const FittedLaw& law, const std::string& frontier, double sigma,
                             double base_value, std::optional<double> tokens);

// The recovery budget at which the law's prediction at `ratio` reaches `target`: the smallest D
// in [0, max_tokens] at which it has fallen to the target (`falling`, a loss) or risen to it (an
// accuracy). Unset when no D up to max_tokens does, or when the law's part has a warning.
std::optional<double> tokens_to_reach(const FittedLaw& law, const std::string& frontier,
                                      double base_value, double ratio, double target, bool falling,
                                      double max_tokens);

}  // namespace claw::laws
