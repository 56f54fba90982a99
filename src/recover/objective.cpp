#include "recover/objective.h"

#include "core/error.h"

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

Objective recorded_objective(const std::string& name, const std::string& where) {
  if (name.empty()) return Objective::kNextToken;
  const std::optional<Objective> objective = objective_named(name);
  CLAW_CHECK(objective.has_value(), where, ": unknown recovery objective '", name, "'");
  return *objective;
}

}  // namespace claw::recover
