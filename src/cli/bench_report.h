// What `claw bench` prints for people: one block per setting, each figure as median [min, max],
// and the measured speedup beside the ideal one.
#pragma once

#include "core/json.h"

namespace claw::cli {

// `record` as bench::compare_speed() returns it.
void print_speed_report(const Json& record);

}  // namespace claw::cli
