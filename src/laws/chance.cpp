#include "laws/chance.h"

#include <map>

#include "core/error.h"
#include "core/format.h"

namespace claw::laws {

bool base_at_chance(const Observation& o) {
  if (!o.chance) return false;
  return o.base_value - *o.chance <= kChanceStandardErrors * o.base_std_error.value_or(0);
}

ChanceScreen leave_out_chance_frontiers(const std::vector<Observation>& observations) {
  ChanceScreen screen;
  std::map<std::string, const Observation*> at_chance;
  for (const Observation& o : observations) {
    if (!base_at_chance(o)) {
      screen.kept.push_back(o);
    } else {
      at_chance.emplace(o.frontier(), &o);
    }
  }
  for (const auto& [frontier, o] : at_chance) {
    screen.warnings.push_back(
        concat(frontier, ": the uncompressed model's ", o->metric, " ",
               measurement(o->base_value, o->base_std_error),
               o->base_std_error ? "" : " (no standard error)", " is not ", kChanceStandardErrors,
               " standard errors above chance (", *o->chance,
               "): no law is fitted to it and it has no critical ratio, since its changes under "
               "compression cannot be told from noise"));
  }
  return screen;
}

std::vector<Observation> above_chance(const std::vector<Observation>& observations,
                                      std::vector<std::string>& notes) {
  std::vector<Observation> out;
  std::int64_t dropped = 0;
  for (Observation o : observations) {
    CLAW_CHECK(o.chance, o.where(), ": --above-chance needs the chance level of ", o.frontier(),
               " (a 'chance' column, or a store that records it)");
    CLAW_CHECK(*o.chance < 1, o.where(), ": the chance level ", *o.chance, " must be below 1");
    const double scale = 1 - *o.chance;
    o.value = (o.value - *o.chance) / scale;
    o.base_value = (o.base_value - *o.chance) / scale;
    if (o.base_std_error) *o.base_std_error /= scale;
    o.chance = 0;
    if (o.value <= 0) {
      ++dropped;
      continue;
    }
    out.push_back(std::move(o));
  }
  if (dropped > 0) {
    notes.push_back(concat(dropped,
                           " observations at or below chance were left out: (acc − chance) / "
                           "(1 − chance) has no log there"));
  }
  return out;
}

}  // namespace claw::laws
