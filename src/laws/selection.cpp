#include "laws/selection.h"

#include <algorithm>

#include "core/error.h"
#include "core/format.h"

namespace claw::laws {
namespace {

// With one D in the data the terms of D drop out of every form (law_fit.h), so one D scale is
// tried instead of four identical fits.
std::vector<LawSpec> candidate_specs(const SelectionOptions& options,
                                     const std::vector<Observation>& observations) {
  std::vector<const LawForm*> forms = options.forms;
  if (forms.empty()) {
    for (const LawForm& f : law_forms()) forms.push_back(&f);
  }
  const bool one_budget = std::all_of(observations.begin(), observations.end(), [&](const auto& o) {
    return o.tokens == observations.front().tokens;
  });
  std::vector<DScaleKind> scales = options.d_scales.empty() ? d_scale_kinds() : options.d_scales;
  if (one_budget) scales.resize(1);
  const std::vector<Scope> scopes = options.scopes.empty()
                                        ? std::vector<Scope>{Scope::kPooled, Scope::kPerFrontier}
                                        : options.scopes;
  std::vector<LawSpec> specs;
  for (const LawForm* form : forms) {
    for (const Scope scope : scopes) {
      if (!form->uses_tokens()) {
        specs.push_back({form, DScaleKind::kMillions, scope});
        continue;
      }
      for (const DScaleKind scale : scales) specs.push_back({form, scale, scope});
    }
  }
  return specs;
}

// The grouping that ranks candidates: the most demanding one on which some candidate could be
// refitted on every fold.
std::string ranking_criterion(const std::vector<Candidate>& candidates) {
  for (const char* by : {"rolling", "ratio", "tokens"}) {
    for (const Candidate& c : candidates) {
      const HeldOutQuality* q = find_held_out(c.held_out, by);
      if (q != nullptr && q->complete()) return by;
    }
  }
  return "";
}

const char* criterion_words(const std::string& by) {
  if (by == "rolling") return "rolling-extrapolation";
  if (by == "ratio") return "leave-one-ratio-out";
  return "leave-one-D-out";
}

std::string percent(double value) {
  return fixed(value, 2) + "%";
}

}  // namespace

const Candidate* LawSelection::chosen_candidate() const {
  return chosen ? &candidates[*chosen] : nullptr;
}

LawSelection select_law(const std::vector<Observation>& observations,
                        const SelectionOptions& options) {
  LawSelection selection;
  for (const LawSpec& spec : candidate_specs(options, observations)) {
    Candidate c{spec, std::nullopt, {}, ""};
    try {
      c.law = fit_law(spec, observations);
      c.held_out = held_out_quality(spec, observations);
    } catch (const Error& e) {
      c.error = e.what();
    }
    selection.candidates.push_back(std::move(c));
  }

  std::vector<std::size_t> fitted;
  for (std::size_t i = 0; i < selection.candidates.size(); ++i) {
    if (selection.candidates[i].law) fitted.push_back(i);
  }
  if (fitted.empty()) {
    selection.reason = "no candidate could be fitted: " + selection.candidates.front().error;
    return selection;
  }
  if (fitted.size() == 1) {
    selection.chosen = fitted.front();
    selection.reason = "the only candidate that could be fitted";
    return selection;
  }
  selection.criterion = ranking_criterion(selection.candidates);
  if (selection.criterion.empty()) {
    selection.reason =
        "no candidate could be refitted on every fold of any held-out grouping, so none can be "
        "shown to predict better than another; choose one form, D scale and scope";
    return selection;
  }
  auto errors_of = [&](std::size_t i) -> const PredictionErrors* {
    const HeldOutQuality* q = find_held_out(selection.candidates[i].held_out, selection.criterion);
    return q != nullptr && q->complete() ? &q->errors : nullptr;
  };
  std::vector<std::size_t> ranked;
  for (const std::size_t i : fitted) {
    if (errors_of(i) != nullptr) ranked.push_back(i);
  }
  const std::string words = criterion_words(selection.criterion);
  const std::size_t best = *std::min_element(ranked.begin(), ranked.end(), [&](auto a, auto b) {
    return errors_of(a)->mape < errors_of(b)->mape;
  });
  const PredictionErrors& lowest = *errors_of(best);
  const double tolerance = lowest.mape + lowest.mape_std_error;
  std::size_t chosen = best;
  for (const std::size_t i : ranked) {
    const PredictionErrors& e = *errors_of(i);
    if (e.mape > tolerance) continue;
    const std::int64_t k = selection.candidates[i].law->parameters();
    const std::int64_t k_chosen = selection.candidates[chosen].law->parameters();
    if (k < k_chosen || (k == k_chosen && e.mape < errors_of(chosen)->mape)) chosen = i;
  }
  selection.chosen = chosen;
  const Candidate& c = selection.candidates[chosen];
  if (chosen == best) {
    selection.reason =
        concat("the lowest ", words, " MAPE, ", percent(lowest.mape), " ± ",
               percent(lowest.mape_std_error), ", of ", ranked.size(), " candidates ranked");
  } else {
    const Candidate& b = selection.candidates[best];
    selection.reason =
        concat(words, " MAPE ", percent(errors_of(chosen)->mape), ", within one standard error (",
               percent(lowest.mape_std_error), ") of the lowest, ", percent(lowest.mape), " (",
               b.spec.name(), "), with fewer coefficients (", c.law->parameters(), " against ",
               b.law->parameters(), ")");
  }
  return selection;
}

Json candidate_json(const Candidate& c) {
  Json j = {
      {"spec", c.spec.name()},
      {"form", c.spec.form->name},
      {"d_scale", c.spec.form->uses_tokens() ? Json(d_scale_name(c.spec.d_scale)) : Json(nullptr)},
      {"scope", scope_name(c.spec.scope)}};
  if (!c.law) {
    j["error"] = c.error;
    return j;
  }
  j["parameters"] = c.law->parameters();
  j["diagnostics"] = c.law->diagnostics.json();
  j["held_out"] = Json::array();
  for (const HeldOutQuality& q : c.held_out) j["held_out"].push_back(q.json());
  return j;
}

Json LawSelection::json() const {
  Json list = Json::array();
  for (std::size_t i = 0; i < candidates.size(); ++i) {
    Json entry = candidate_json(candidates[i]);
    entry["chosen"] = chosen && *chosen == i;
    list.push_back(entry);
  }
  return {{"criterion", criterion.empty() ? Json(nullptr) : Json(criterion)},
          {"reason", reason},
          {"candidates", list}};
}

}  // namespace claw::laws
