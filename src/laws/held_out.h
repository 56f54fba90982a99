// How well the law predicts settings it was not fitted on: leave-one-group-out refits that hold
// out one ratio, one recovery budget, or one frontier (model and dataset) at a time.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/json.h"
#include "laws/compression_law.h"

namespace claw::laws {

struct HeldOutFold {
  std::string held_out;  // the group's value, e.g. "0.5"
  std::int64_t rows = 0;
  std::string skipped;  // why no refit was possible (too few rows, ...); empty when it was
};

struct HeldOutQuality {
  std::string by;  // "ratio", "tokens" or "frontier"
  std::vector<HeldOutFold> folds;
  std::int64_t predicted = 0;  // held-out rows predicted, over every fold refitted
  double rmse = 0;             // of the predicted metric against the measured one
  double mape = 0;             // mean absolute percentage error
  Json json() const;
};

// One entry per grouping with at least two groups.
std::vector<HeldOutQuality> leave_one_group_out(const std::vector<Observation>& observations,
                                                const LawOptions& options);

}  // namespace claw::laws
