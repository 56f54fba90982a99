#include "laws/law_fit.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>

#include "core/error.h"
#include "core/format.h"

namespace claw::laws {
namespace {

constexpr double kInfinity = std::numeric_limits<double>::infinity();

template <typename Key>
std::set<double> distinct(const std::vector<Observation>& rows, Key key) {
  std::set<double> values;
  for (const Observation& o : rows) values.insert(key(o));
  return values;
}

std::string coefficient_names(const std::vector<Term>& terms) {
  return join(terms, [](Term t) { return term_definition(t).coefficient; });
}

// "" for a pooled law, " of FRONTIER" for one frontier's part, to place a message.
std::string of_part(const std::string& frontier) {
  return frontier.empty() ? "" : " of " + frontier;
}

// The form's terms less those of D when the data has one D, which a note records. A single
// ratio leaves the terms of r without information, an error.
std::vector<Term> identifiable_terms(const LawSpec& spec, const std::vector<Observation>& rows,
                                     std::vector<std::string>& notes) {
  std::vector<Term> of_ratio, of_tokens, kept;
  for (const Term t : spec.form->terms) {
    if (term_definition(t).uses_ratio) of_ratio.push_back(t);
    if (term_definition(t).uses_tokens) of_tokens.push_back(t);
  }
  const std::set<double> ratios = distinct(rows, [](const Observation& o) { return o.ratio; });
  CLAW_CHECK(of_ratio.empty() || ratios.size() > 1, "every observation has the ratio ",
             *ratios.begin(), ", so ", coefficient_names(of_ratio),
             " cannot be identified; add observations at other ratios");
  const std::set<double> tokens = distinct(rows, [](const Observation& o) { return o.tokens; });
  const bool one_budget = tokens.size() == 1 && !of_tokens.empty();
  if (one_budget) {
    notes.push_back(concat("every observation has D = ", *tokens.begin(), " recovery tokens, so ",
                           coefficient_names(of_tokens),
                           " cannot be identified; the law was fitted without ",
                           of_tokens.size() == 1 ? "it" : "them"));
  }
  for (const Term t : spec.form->terms) {
    if (!(one_budget && term_definition(t).uses_tokens)) kept.push_back(t);
  }
  return kept;
}

struct PartFit {
  OlsFit fit;
  double d_scale;
};

// OLS of log L (less log L0 when the form has L0 as an offset) on the terms, D at scale s.
OlsFit fit_terms(const LawForm& form, const std::vector<Term>& terms,
                 const std::vector<Observation>& rows, double s) {
  Design design;
  design.has_intercept = has_term(terms, Term::kIntercept);
  for (const Term t : terms) design.names.push_back(term_definition(t).coefficient);
  design.columns.assign(terms.size(), {});
  std::vector<double> response;
  for (const Observation& o : rows) {
    const std::vector<double> x = regressors(terms, o.base_value, o.ratio, o.tokens, s);
    for (std::size_t j = 0; j < x.size(); ++j) design.columns[j].push_back(x[j]);
    response.push_back(std::log(o.value) - (form.base_offset ? std::log(o.base_value) : 0));
  }
  return ols(design, response);
}

// The D scale s with the least RSS, by a grid over log s from a hundredth of the smallest
// positive D to a hundred times the largest, refined by golden-section search around the best
// grid point. The OLS inside is exact, so the search is over one dimension only.
PartFit fit_with_fitted_scale(const LawForm& form, const std::vector<Term>& terms,
                              const std::vector<Observation>& rows) {
  double smallest = kInfinity, largest = 0;
  for (const Observation& o : rows) {
    if (o.tokens > 0) smallest = std::min(smallest, o.tokens);
    largest = std::max(largest, o.tokens);
  }
  const double low = std::log10(smallest) - 2, high = std::log10(largest) + 2;
  auto rss = [&](double log_s) {
    try {
      return fit_terms(form, terms, rows, std::pow(10.0, log_s)).rss;
    } catch (const Error&) {
      return kInfinity;  // collinear at this scale
    }
  };
  constexpr int kGrid = 32;
  const double step = (high - low) / kGrid;
  double best = low, best_rss = kInfinity;
  for (int i = 0; i <= kGrid; ++i) {
    const double at = low + step * i, value = rss(at);
    if (value < best_rss) best = at, best_rss = value;
  }
  CLAW_CHECK(std::isfinite(best_rss), "no D scale lets ", coefficient_names(terms),
             " be identified");
  const double golden = (std::sqrt(5.0) - 1) / 2;
  double a = std::max(low, best - step), b = std::min(high, best + step);
  double c = b - golden * (b - a), d = a + golden * (b - a);
  double fc = rss(c), fd = rss(d);
  for (int i = 0; i < 30; ++i) {  // the bracket shrinks to 0.618^30 ≈ 1e-6 of itself
    if (fc < fd) {
      b = d, d = c, fd = fc;
      c = b - golden * (b - a), fc = rss(c);
    } else {
      a = c, c = d, fc = fd;
      d = a + golden * (b - a), fd = rss(d);
    }
  }
  const double refined = fc < fd ? c : d;
  const double log_s = std::min(fc, fd) < best_rss ? refined : best;
  const double s = std::pow(10.0, log_s);
  return {fit_terms(form, terms, rows, s), s};
}

// What the fit says about the effect of r: the 95% interval of log L at the largest ratio less
// log L at the smallest, without recovery. L0 cancels.
std::string ratio_effect_warning(const std::vector<Term>& terms, const LawPart& part) {
  if (!has_term_of_ratio(terms)) return "";
  const std::vector<double> high = regressors(terms, 1, part.max_ratio, 0.0, part.d_scale);
  const std::vector<double> low = regressors(terms, 1, part.min_ratio, 0.0, part.d_scale);
  std::vector<double> change(high.size());
  for (std::size_t j = 0; j < change.size(); ++j) change[j] = high[j] - low[j];
  const Interval effect = confidence_interval(part.fit, change);
  if (effect.low > 0 || effect.high < 0) return "";
  return concat(
      "the fit cannot tell that the metric changes with r: the 95% interval of log L(r = ",
      part.max_ratio, ") - log L(r = ", part.min_ratio, ") at D = 0 is [", effect.low, ", ",
      effect.high, "], which holds 0");
}

// Σ (log L − fitted)² against the two baselines, over `rows`.
FitDiagnostics diagnostics_of(const std::vector<Observation>& rows, double rss) {
  double mean = 0;
  for (const Observation& o : rows) mean += std::log(o.value) / static_cast<double>(rows.size());
  double centred = 0, null = 0;
  for (const Observation& o : rows) {
    const double y = std::log(o.value);
    centred += (y - mean) * (y - mean);
    null += (y - std::log(o.base_value)) * (y - std::log(o.base_value));
  }
  return {rss, 1 - rss / centred, 1 - rss / null};
}

LawPart fit_part(const LawSpec& spec, const std::vector<Term>& terms,
                 const std::vector<Observation>& rows, const std::string& frontier) {
  LawPart part;
  part.frontier = frontier;
  for (const Observation& o : rows) part.base_values[o.frontier()] = o.base_value;
  const std::set<double> ratios = distinct(rows, [](const Observation& o) { return o.ratio; });
  part.min_ratio = *ratios.begin();
  part.max_ratio = *ratios.rbegin();
  const std::set<double> bases = distinct(rows, [](const Observation& o) { return o.base_value; });
  const bool intercept = has_term(terms, Term::kIntercept);
  const bool alpha = has_term(terms, Term::kLogBase);
  CLAW_CHECK(!(intercept && alpha && bases.size() == 1), "every observation", of_part(frontier),
             " has the same base value L0 = ", *bases.begin(),
             ", so alpha and the intercept cannot both be identified; fit a form without an "
             "intercept, or add another model or dataset");
  const bool uses_tokens = has_term_of_tokens(terms);
  if (uses_tokens && spec.d_scale == DScaleKind::kFitted) {
    const PartFit fitted = fit_with_fitted_scale(*spec.form, terms, rows);
    part.fit = fitted.fit;
    part.d_scale = fitted.d_scale;
  } else {
    part.d_scale = uses_tokens ? d_scale_tokens(spec.d_scale) : 1e6;
    part.fit = fit_terms(*spec.form, terms, rows, part.d_scale);
  }
  part.diagnostics = diagnostics_of(rows, part.fit.rss);
  part.warning = ratio_effect_warning(terms, part);
  return part;
}

}  // namespace

void check_observation(const Observation& o) {
  CLAW_CHECK(std::isfinite(o.value) && o.value > 0, o.where(), ": the value ", o.value,
             " must be positive (the law is fitted on its log)");
  CLAW_CHECK(std::isfinite(o.base_value) && o.base_value > 0, o.where(), ": the base value ",
             o.base_value, " must be positive (the law is fitted on its log)");
  CLAW_CHECK(std::isfinite(o.ratio) && o.ratio >= 0 && o.ratio < 1, o.where(), ": the ratio ",
             o.ratio, " is outside [0, 1)");
  CLAW_CHECK(std::isfinite(o.tokens) && o.tokens >= 0, o.where(), ": the recovery tokens ",
             o.tokens, " must be >= 0");
}

FittedLaw fit_law(const LawSpec& spec, const std::vector<Observation>& observations) {
  CLAW_CHECK(spec.form != nullptr, "fit_law: no form");
  CLAW_CHECK(!observations.empty(), "no observations to fit the law to");
  for (const Observation& o : observations) check_observation(o);
  FittedLaw law;
  law.spec = spec;
  law.terms = identifiable_terms(spec, observations, law.notes);
  if (spec.scope == Scope::kPooled) {
    law.parts.push_back(fit_part(spec, law.terms, observations, ""));
  } else {
    std::map<std::string, std::vector<Observation>> by_frontier;
    for (const Observation& o : observations) by_frontier[o.frontier()].push_back(o);
    for (const auto& [frontier, rows] : by_frontier) {
      try {
        law.parts.push_back(fit_part(spec, law.terms, rows, frontier));
      } catch (const Error& e) {
        CLAW_FAIL(frontier, ": ", e.what());
      }
    }
    if (law.spec.form->uses(Term::kLogBase)) {
      law.notes.push_back("fitted per frontier, alpha·log L0 is each frontier's constant");
    }
  }
  double rss = 0;
  for (const LawPart& p : law.parts) rss += p.fit.rss;
  law.diagnostics = diagnostics_of(observations, rss);
  return law;
}

std::int64_t FittedLaw::parameters() const {
  const bool fitted_scale = spec.d_scale == DScaleKind::kFitted && has_term_of_tokens(terms);
  return static_cast<std::int64_t>(parts.size() * (terms.size() + (fitted_scale ? 1 : 0)));
}

const LawPart& FittedLaw::part_for(const std::string& frontier) const {
  if (spec.scope == Scope::kPooled) return parts.front();
  for (const LawPart& p : parts) {
    if (p.frontier == frontier) return p;
  }
  CLAW_FAIL("the law was fitted per frontier and has no coefficients for '", frontier, "'; it has ",
            join(parts, [](const LawPart& p) { return "'" + p.frontier + "'"; }));
}

bool FittedLaw::covers(const std::string& frontier) const {
  return spec.scope == Scope::kPooled ||
         std::any_of(parts.begin(), parts.end(),
                     [&](const LawPart& p) { return p.frontier == frontier; });
}

Interval predict(const FittedLaw& law, const std::string& frontier, double base_value, double ratio,
                 std::optional<double> tokens) {
  CLAW_CHECK(std::isfinite(base_value) && base_value > 0, "L0 must be positive, got ", base_value);
  CLAW_CHECK(std::isfinite(ratio) && ratio >= 0 && ratio < 1, "the ratio ", ratio,
             " is outside [0, 1)");
  CLAW_CHECK(!tokens || (std::isfinite(*tokens) && *tokens >= 0),
             "the recovery tokens must be >= 0, got ", tokens.value_or(0));
  const LawPart& part = law.part_for(frontier);
  const Interval log_scale =
      prediction_interval(part.fit, regressors(law.terms, base_value, ratio, tokens, part.d_scale));
  const double offset = law.spec.form->base_offset ? std::log(base_value) : 0;
  return {std::exp(offset + log_scale.estimate), std::exp(offset + log_scale.low),
          std::exp(offset + log_scale.high)};
}

Interval predict(const FittedLaw& law, const Observation& o) {
  return predict(law, o.frontier(), o.base_value, o.ratio, o.tokens);
}

double log_residual(const FittedLaw& law, const Observation& o) {
  return std::log(o.value) - std::log(predict(law, o).estimate);
}

double prediction_band_coverage(const FittedLaw& law,
                                const std::vector<Observation>& observations) {
  if (observations.empty()) return NAN;
  std::int64_t inside = 0;
  for (const Observation& o : observations) {
    const Interval band = predict(law, o);
    if (band.low <= o.value && o.value <= band.high) ++inside;
  }
  return static_cast<double>(inside) / static_cast<double>(observations.size());
}

Json FitDiagnostics::json() const {
  auto number = [](double x) { return std::isfinite(x) ? Json(x) : Json(nullptr); };
  return {{"rss_log", rss},
          {"r_squared_log_centred", number(r_squared_log)},
          {"r_squared_against_L0", number(r_squared_null)}};
}

Json FittedLaw::json() const {
  Json parts_json = Json::array();
  for (const LawPart& p : parts) {
    Json part = {{"frontier", p.frontier},       {"d_scale_tokens", p.d_scale},
                 {"base_values", p.base_values}, {"ratios", {p.min_ratio, p.max_ratio}},
                 {"fit", p.fit.json()},          {"diagnostics", p.diagnostics.json()}};
    if (!p.warning.empty()) part["warning"] = p.warning;
    parts_json.push_back(part);
  }
  Json terms_json = Json::array();
  for (const Term t : terms) terms_json.push_back(term_definition(t).id);
  return {{"form", spec.form->name},
          {"formula", spec.form->formula},
          {"fixes", spec.form->fixes},
          {"d_scale", d_scale_name(spec.d_scale)},
          {"scope", scope_name(spec.scope)},
          {"terms", terms_json},
          {"parameters", parameters()},
          {"diagnostics", diagnostics.json()},
          {"notes", notes},
          {"parts", parts_json}};
}

namespace {

FittedLaw law_from_json(const Json& j, const std::string& source) {
  CLAW_CHECK(j.is_object() && j.contains("scope") && j.contains("parts"), source,
             ": not a law this claw wrote (a law file from an earlier claw? fit it again with "
             "claw fit --out)");
  FittedLaw law;
  law.spec.form = &law_form(json_required<std::string>(j, "form", source));
  law.spec.d_scale = parse_d_scale(json_required<std::string>(j, "d_scale", source), source);
  law.spec.scope = parse_scope(json_required<std::string>(j, "scope", source), source);
  for (const std::string& id : json_required<std::vector<std::string>>(j, "terms", source)) {
    law.terms.push_back(term_from_id(id, source));
  }
  law.notes = json_optional<std::vector<std::string>>(j, "notes", {}, source);
  for (const Json& p : j["parts"]) {
    LawPart part;
    part.frontier = json_required<std::string>(p, "frontier", source);
    part.d_scale = json_required<double>(p, "d_scale_tokens", source);
    part.base_values = json_required<std::map<std::string, double>>(p, "base_values", source);
    const auto ratios = json_required<std::vector<double>>(p, "ratios", source);
    CLAW_CHECK(ratios.size() == 2, source, ": a law part's 'ratios' is [smallest, largest]");
    part.min_ratio = ratios[0];
    part.max_ratio = ratios[1];
    CLAW_CHECK(p.contains("fit"), source, ": a law part has no 'fit'");
    part.fit = OlsFit::from_json(p["fit"], source);
    CLAW_CHECK(part.fit.coefficients.size() == law.terms.size(), source, ": a law with ",
               law.terms.size(), " terms has a part with ", part.fit.coefficients.size(),
               " coefficients");
    CLAW_CHECK(std::isfinite(part.d_scale) && part.d_scale > 0, source,
               ": a law part's D scale must be positive");
    part.warning = json_optional<std::string>(p, "warning", "", source);
    law.parts.push_back(std::move(part));
  }
  CLAW_CHECK(!law.parts.empty(), source, ": the law has no parts");
  CLAW_CHECK(law.spec.scope == Scope::kPerFrontier || law.parts.size() == 1, source,
             ": a pooled law has one part");
  return law;
}

}  // namespace

// Only what predictions need is read back; the diagnostics stay in the file for people.
FittedLaw FittedLaw::from_json(const Json& j, const std::string& source) {
  try {
    return law_from_json(j, source);
  } catch (const Json::exception& e) {
    CLAW_FAIL(source, ": not a law claw wrote (", e.what(), ")");
  }
}

}  // namespace claw::laws
