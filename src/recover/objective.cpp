#include "recover/objective.h"

namespace claw::recover {

const char* objective_name(Objective objective) {
  return objective == Objective::kDistillation ? "kd" : "lm";
}

std::optional<Objective> objective_named(const std::string& name) {
  for (const Objective objective : kObjectives) {
    if (name == objective_name(objective)) return objective;
  }
  return std::nullopt;
}

}  // namespace claw::recover
