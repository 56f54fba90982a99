// Parameter-matched ratios: the ratio at which a method removes a given fraction of a model's
// non-embedding parameters, so methods whose ratios mean different things (FFN channels, hidden
// width, layers, heads) can be compared at equal size.
#pragma once

#include "compress/method_registry.h"
#include "model/config.h"

namespace claw::compress {

struct ParameterTarget {
  double ratio = 0;     // the method's own ratio
  double achieved = 0;  // the fraction of non-embedding parameters it removes
};

// The ratio whose achieved fraction is nearest `fraction` among the method's structural steps
// (ties go to the smaller ratio), so the achieved fraction is within one step of the target.
// An error, saying the most the method can remove, when `fraction` lies beyond it; OptionError
// ("target_params") when it is outside (0, 1).
ParameterTarget ratio_for_parameters(const MethodInfo& method, const model::ModelConfig& config,
                                     const Json& options, double fraction);

}  // namespace claw::compress
