// Accuracies near chance: a base model no better than a uniform guess gives a law fitted to
// noise, so its frontier is left out with a warning; and the share of the way from chance to a
// perfect score, which `--above-chance` fits instead of the accuracy.
#pragma once

#include <string>
#include <vector>

#include "laws/observation.h"

namespace claw::laws {

// How many standard errors above its chance level the base model must be.
inline constexpr double kChanceStandardErrors = 2;

// Whether the observation's base value is within kChanceStandardErrors standard errors of its
// chance level (at or below chance when it has no standard error). False without a chance level.
bool base_at_chance(const Observation& o);

struct ChanceScreen {
  std::vector<Observation> kept;
  std::vector<std::string> warnings;  // one per frontier left out
};
// The observations of frontiers whose base model is above chance, and a warning for each other.
ChanceScreen leave_out_chance_frontiers(const std::vector<Observation>& observations);

// (acc − chance) / (1 − chance) for the value and the base value. Rows at or below chance have
// no log and are left out, which `notes` says; rows without a chance level are an error.
std::vector<Observation> above_chance(const std::vector<Observation>& observations,
                                      std::vector<std::string>& notes);

}  // namespace claw::laws
