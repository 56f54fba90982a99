// BLiMP, the Benchmark of Linguistic Minimal Pairs (Warstadt et al. 2020), posed as
// lm-evaluation-harness's blimp_* tasks (docs/zero-shot.md, "BLiMP"): every pair is one item
// with an empty context and the choices [sentence_good, sentence_bad], gold 0, scored by acc.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "data/choice_task.h"

namespace claw::data {

struct BlimpParadigm {
  std::string_view uid;    // "adjunct_island"
  std::string_view field;  // "morphology", "syntax", "semantics" or "syntax_semantics"
};

// The 67 paradigms, in the order of the harness's `blimp` group.
const std::vector<BlimpParadigm>& blimp_paradigms();

// The four fields, in the order claw reports them.
const std::vector<std::string_view>& blimp_fields();

// The paradigm of `name` ("blimp_<UID>"), or nullptr when `name` names none.
const BlimpParadigm* blimp_paradigm(std::string_view name);

// The BLiMP file of `paradigm` at `path` (one JSON object a line with sentence_good,
// sentence_bad, field and UID) as the task `name`. Its `category` is the paradigm's field. Every
// line must be a well-formed pair of this paradigm, in its field: a malformed one is an error
// naming the file and line, since a benchmark with pairs left out is no longer BLiMP.
ChoiceTask read_blimp_task(const std::string& name, const BlimpParadigm& paradigm,
                           const std::string& path);

}  // namespace claw::data
