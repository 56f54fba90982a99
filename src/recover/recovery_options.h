// Recovery's options, declared once: the flags of `claw recover` and the keys of a study's
// [recovery] table come from this table. D (tokens) and the seed are each front end's own: one
// budget on the command line, a list of them in a study.
#pragma once

#include "core/json.h"
#include "core/option_table.h"
#include "recover/recovery.h"

namespace claw::recover {

const OptionTable& recovery_option_table();

// RecoveryOptions from complete values of recovery_option_table(); tokens and seed stay unset.
RecoveryOptions recovery_options_from(const Json& values);

}  // namespace claw::recover
