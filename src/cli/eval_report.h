// What `claw eval` prints: a readable summary on stdout, or JSON shaped like
// lm-evaluation-harness's results file, and the per-item log of --log-samples.
#pragma once

#include <string>
#include <vector>

#include "core/json.h"
#include "eval/group_results.h"
#include "eval/intrinsic.h"
#include "eval/zero_shot.h"

namespace claw::cli {

// One task's entry of "results": the harness's "<metric>,none" and "<metric>_stderr,none" keys
// plus claw's own fields (protocol, counts, timing).
Json intrinsic_entry(const std::string& task, const eval::IntrinsicResult& result);
Json zero_shot_entry(const eval::ZeroShotResult& result);
// A group's entry of "groups": its metrics as above, chance, counts, protocol and its parts.
Json group_entry(const eval::GroupResult& group);

void print_intrinsic(const std::string& model, const std::string& task,
                     const eval::IntrinsicResult& result);
void print_zero_shot(const std::string& model, const eval::ZeroShotResult& result);
// A task of a group on one line; the group's block follows once its tasks are done.
void print_group_member(const eval::ZeroShotResult& result);
void print_group(const std::string& model, const eval::GroupResult& group);

// One JSON line per scored item: its requests, per-choice log-likelihoods and token counts,
// the predictions and the gold answer.
std::string sample_lines(const eval::ZeroShotResult& result);

}  // namespace claw::cli
