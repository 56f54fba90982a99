// Elementwise functions over float32 arrays, written so that the compiler vectorises them: the
// decode step (model/cpu_decode.h) takes an exponential per attention score and per MLP channel,
// and the C library's scalar expf costs as much as the rest of a small model's step.
#pragma once

#include <cstdint>

namespace claw::model {

// x[i] ← e^x[i], within 2 units in the last place of float32 for x in [-87.3, 88] (e^x ≥ 1.2e-38);
// below that (and at -inf) 0, as a masked attention score needs; above 88, e^88 (1.7e38),
// which a SiLU of a channel that negative takes as the infinity it would be.
void exp_in_place(float* x, std::int64_t count);

}  // namespace claw::model
