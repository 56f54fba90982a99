// What recovery trains on: the next token ("lm") or a teacher's distribution ("kd"). The names
// are the ones recovery.json, study files and experiment keys use.
#pragma once

#include <optional>
#include <string>

namespace claw::recover {

enum class Objective { kNextToken, kDistillation };
inline constexpr Objective kObjectives[] = {Objective::kNextToken, Objective::kDistillation};

const char* objective_name(Objective objective);
// The objective of that name, or unset.
std::optional<Objective> objective_named(const std::string& name);
// The objective a record names: next-token training when it names none (every record made before
// distillation existed); an error naming `where` for an unknown name.
Objective recorded_objective(const std::string& name, const std::string& where);

}  // namespace claw::recover
