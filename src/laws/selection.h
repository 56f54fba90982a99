// Choosing a law by how well it predicts: every candidate (form × D scale × scope) is fitted and
// scored by its held-out errors, and the one that extrapolates best is chosen, preferring fewer
// coefficients where the errors cannot tell candidates apart.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/json.h"
#include "laws/held_out.h"
#include "laws/law_fit.h"

namespace claw::laws {

// What to try; each list empty means every value.
struct SelectionOptions {
  std::vector<const LawForm*> forms;
  std::vector<DScaleKind> d_scales;
  std::vector<Scope> scopes;
};

struct Candidate {
  LawSpec spec;
  std::optional<FittedLaw> law;  // unset when it could not be fitted
  std::vector<HeldOutQuality> held_out;
  std::string error;  // why not
};

struct LawSelection {
  std::vector<Candidate> candidates;
  std::optional<std::size_t> chosen;  // index into candidates
  std::string criterion;  // the held-out error it ranks by: "rolling", "ratio", "tokens" or ""
  std::string reason;     // why the chosen one, or why none, in a sentence

  const Candidate* chosen_candidate() const;
  Json json() const;
};

// Every candidate the options allow (one per scope for forms without g(D), and for every form
// when the data has one D), fitted and scored.
// The ranking is by the MAPE of the rolling extrapolation, else of leave-one-ratio-out, else of
// leave-one-D-out: the first on which some candidate could be refitted on every fold; a candidate
// that could not is not ranked. Of those within one standard error of the lowest MAPE, the one
// with the fewest coefficients is chosen (then the lower MAPE).
LawSelection select_law(const std::vector<Observation>& observations,
                        const SelectionOptions& options);

// A candidate's summary line for tables: the spec name and its errors.
Json candidate_json(const Candidate& c);

}  // namespace claw::laws
