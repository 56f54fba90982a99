// The report's sections on the laws: every form side by side with the chosen one marked, the
// chosen law with its band and residuals, the critical ratios with their intervals, and the
// paper's findings tested on the study's data.
#include <algorithm>
#include <cmath>
#include <map>

#include "core/error.h"
#include "core/format.h"
#include "study/findings.h"
#include "study/report_writer.h"

namespace claw::study {
namespace {

// For each form, in the table's order, its candidate that predicts best: the chosen one, then
// the lowest MAPE by the ranking criterion, then any fitted one.
std::vector<const laws::Candidate*> best_per_form(const laws::LawSelection& selection) {
  auto rank = [&](const laws::Candidate& c) {
    if (&c == selection.chosen_candidate()) return -1.0;
    if (!c.law) return static_cast<double>(INFINITY);
    const laws::HeldOutQuality* q = laws::find_held_out(c.held_out, selection.criterion);
    return q != nullptr && q->complete() ? q->errors.mape : 1e300;
  };
  std::vector<const laws::Candidate*> best;
  for (const laws::Candidate& c : selection.candidates) {
    const auto slot = std::find_if(best.begin(), best.end(), [&](const laws::Candidate* b) {
      return b->spec.form == c.spec.form;
    });
    if (slot == best.end()) {
      best.push_back(&c);
    } else if (rank(c) < rank(**slot)) {
      *slot = &c;
    }
  }
  return best;
}

}  // namespace

std::string critical_cell(const laws::CriticalRatio& c) {
  auto bound = [](const std::optional<double>& x) {
    return x ? significant(*x, 3) : std::string("≥ 1");
  };
  const std::string interval = concat("[", bound(c.low), ", ", bound(c.high), "]");
  switch (c.outcome) {
    case laws::CriticalRatio::kReached:
      return significant(*c.ratio, 3) + " " + interval;
    case laws::CriticalRatio::kNotReached:
      return "≥ 1 " + interval;
    case laws::CriticalRatio::kPastAtZero:
      return "0";
    case laws::CriticalRatio::kWithheld:
      break;
  }
  return "–";
}

const StudyFit* ReportWriter::fit_covering(const std::string& metric,
                                           const std::string& method) const {
  const StudyFit* own = fit_for(metric, method_family(method));
  return own != nullptr ? own : fit_for(metric, kAllMethods);
}

const StudyFit* ReportWriter::fit_for(const std::string& metric, const std::string& family,
                                      recover::Objective objective) const {
  for (const StudyFit& f : fits_) {
    if (f.metric == metric && f.family == family && f.objective == objective &&
        f.chosen() != nullptr) {
      return &f;
    }
  }
  return nullptr;
}

void ReportWriter::laws_section() {
  doc_.heading(2, "Compression laws");
  doc_.paragraph(
      "Each form of docs/laws.md is fitted by OLS on log L, with D in tokens, thousands, "
      "millions or a fitted scale s, pooled over the frontiers (model × dataset) or per "
      "frontier, and scored by how well it predicts what it was not fitted on: leave one ratio, "
      "one D or one frontier out, and the rolling extrapolation (fit on r ≤ r_k, predict every "
      "r > r_k). The chosen law has the lowest rolling-extrapolation MAPE, or the fewest "
      "coefficients within one standard error of it. Beside each metric's pooled law, a table "
      "gives every form at its best D scale and scope: k coefficients, R² of log L centred "
      "(around its mean), R² vs L0 against the null law L = L0, and the held-out MAPEs (*: a "
      "fold could not be refitted). laws.json holds every candidate of every family, and each "
      "coefficient's 95% interval and p-value. The forms chosen below:");
  std::vector<std::string> forms;
  for (const StudyFit& fit : fits_) {
    if (fit.chosen() == nullptr) continue;
    const laws::LawForm& form = *fit.chosen()->spec.form;
    const std::string item =
        concat("**", form.name, "**: `", form.formula, "` (", form.origin, ")");
    if (std::find(forms.begin(), forms.end(), item) == forms.end()) forms.push_back(item);
  }
  doc_.list(forms);
  for (const StudyFit& fit : fits_) law_subsection(fit);
}

void ReportWriter::law_subsection(const StudyFit& fit) {
  doc_.heading(3, concat(fit.metric, ", ", fit.group()));
  // A frontier left out at chance is left out of every family's fit: said once.
  for (const std::string& w : fit.warnings) {
    if (warned_.insert(w).second) doc_.paragraph("**Warning:** " + w);
  }
  const laws::Candidate* chosen = fit.chosen();
  if (chosen == nullptr) {
    doc_.paragraph(concat(
        "No law: ",
        fit.observations.empty() ? "no observations above chance" : fit.selection.reason, "."));
    return;
  }
  const laws::FittedLaw& law = *chosen->law;
  const double coverage = laws::prediction_band_coverage(law, fit.observations);
  std::string per_frontier;
  if (const laws::HeldOutQuality* q = laws::find_held_out(chosen->held_out, "ratio")) {
    per_frontier = join(q->by_frontier, [](const auto& f) {
      return concat(f.first, " ", significant(f.second.mape, 3), "%");
    });
  }
  doc_.paragraph(concat(
      "Chosen: **", chosen->spec.name(), "**, fitted to ", fit.observations.size(),
      " experiments. Why: ", fit.selection.reason, ". ", significant(100 * coverage, 3),
      "% of the experiments lie inside its 95% prediction band.",
      per_frontier.empty() ? "" : " Leave-one-ratio-out MAPE per frontier: " + per_frontier + "."));
  for (const laws::LawPart& part : law.parts) {
    if (!part.warning.empty()) {
      doc_.paragraph(concat("**Warning", part.frontier.empty() ? "" : " (" + part.frontier + ")",
                            ":** ", part.warning, "; no critical ratio is given."));
    }
  }
  for (const std::string& note : law.notes) doc_.paragraph("Note: " + note + ".");

  // Every form's scores once per metric, beside its pooled law (each family's are in laws.json).
  const StudyFit* pooled = fit_for(fit.metric, kAllMethods, fit.objective);
  if (pooled == nullptr || pooled == &fit) forms_table(fit);

  // Coefficients as rows, the parts (frontiers) as columns.
  std::vector<std::string> header = {"coefficient"};
  std::vector<std::vector<std::string>> coefficients;
  for (const laws::LawPart& part : law.parts) {
    header.push_back(part.frontier.empty() ? "pooled" : part.frontier);
    const std::size_t column = header.size() - 1;
    auto row_named = [&](const std::string& name) -> std::vector<std::string>& {
      for (std::vector<std::string>& row : coefficients) {
        if (row.front() == name) return row;
      }
      return coefficients.emplace_back(std::vector<std::string>{name});
    };
    for (const laws::Coefficient& c : part.fit.coefficients) {
      std::vector<std::string>& row = row_named(c.name);
      row.resize(column, "–");
      row.push_back(measurement(c.estimate, c.std_error));
    }
    std::vector<std::string>& scale = row_named("s (D scale, tokens)");
    scale.resize(column, "–");
    scale.push_back(significant(part.d_scale, 4));
    std::vector<std::string>& r2 = row_named("centred R² of log L");
    r2.resize(column, "–");
    r2.push_back(table_number(part.diagnostics.r_squared_log));
    std::vector<std::string>& n = row_named("experiments");
    n.resize(column, "–");
    n.push_back(std::to_string(part.fit.observations));
  }
  for (std::vector<std::string>& row : coefficients) row.resize(header.size(), "–");
  doc_.table(header, coefficients);
  law_plots(fit);
}

// Each form at its best D scale and scope, with the held-out errors the study could measure.
void ReportWriter::forms_table(const StudyFit& fit) {
  static const std::pair<const char*, const char*> kHeldOut[] = {{"ratio", "ratio-out MAPE"},
                                                                 {"tokens", "D-out MAPE"},
                                                                 {"frontier", "frontier-out MAPE"},
                                                                 {"rolling", "rolling MAPE"}};
  const std::vector<const laws::Candidate*> forms = best_per_form(fit.selection);
  std::vector<std::string> header = {"form", "D scale", "scope", "k", "R² log L", "R² vs L0"};
  std::vector<const char*> measured;  // the held-out criteria with a prediction for some form
  for (const auto& [by, column] : kHeldOut) {
    const bool any = std::any_of(forms.begin(), forms.end(), [&](const laws::Candidate* c) {
      const laws::HeldOutQuality* q = laws::find_held_out(c->held_out, by);
      return q != nullptr && q->errors.predicted > 0;
    });
    if (!any) continue;
    measured.push_back(by);
    header.push_back(column);
  }
  header.push_back("");
  std::vector<std::vector<std::string>> rows;
  for (const laws::Candidate* c : forms) {
    std::vector<std::string> row = {c->spec.form->name};
    if (!c->law) {
      row.resize(header.size() - 1, "–");
      row.push_back("not fitted: " + c->error);
      rows.push_back(std::move(row));
      continue;
    }
    const laws::FitDiagnostics& d = c->law->diagnostics;
    row.insert(row.end(), {c->spec.form->uses_tokens() ? laws::d_scale_name(c->spec.d_scale) : "–",
                           laws::scope_name(c->spec.scope), std::to_string(c->law->parameters()),
                           table_number(d.r_squared_log), table_number(d.r_squared_null)});
    for (const char* by : measured) {
      row.push_back(laws::mape_text(laws::find_held_out(c->held_out, by)));
    }
    row.push_back(c == fit.chosen() ? "**chosen**" : "");
    rows.push_back(std::move(row));
  }
  doc_.table(header, rows);
}

// Observed against predicted, and the log-scale residuals against r, per frontier.
void ReportWriter::law_plots(const StudyFit& fit) {
  const laws::FittedLaw& law = *fit.chosen()->law;
  const std::string stem = file_stem(concat(fit.metric, "_", fit.group()));
  Plot observed{"observed_predicted_" + stem,
                concat(fit.metric, ", ", fit.group(), ": observed against the chosen law"),
                "predicted", "observed"};
  Plot residual{"residuals_" + stem,
                concat(fit.metric, ", ", fit.group(), ": residuals of the chosen law against r"),
                "compression ratio r", "log L − log L(law)"};
  std::map<std::string, std::pair<PlotSeries, PlotSeries>> by_frontier;
  double low = INFINITY, high = -INFINITY;
  for (const laws::Observation& o : fit.observations) {
    auto& [points, residuals] = by_frontier[o.frontier()];
    points.title = residuals.title = o.frontier();
    points.style = residuals.style = PlotSeries::kPoints;
    const double predicted = laws::predict(law, o).estimate;
    points.points.emplace_back(predicted, o.value);
    residuals.points.emplace_back(o.ratio, laws::log_residual(law, o));
    low = std::min({low, predicted, o.value});
    high = std::max({high, predicted, o.value});
  }
  for (auto& [frontier, pair] : by_frontier) {
    observed.series.push_back(pair.first);
    residual.series.push_back(pair.second);
  }
  observed.series.push_back(
      {"observed = predicted", {{low, low}, {high, high}}, PlotSeries::kDashed});
  residual.series.push_back({"0", {{0, 0}, {1, 0}}, PlotSeries::kDashed});
  add_plot(observed, "On the dashed diagonal, the law predicts exactly.");
  add_plot(residual, "A trend against r is what the form misses.");
}

void ReportWriter::critical() {
  if (critical_.empty()) return;
  doc_.heading(2, "Critical compression ratios");
  doc_.paragraph(
      "r* is where the chosen law says performance falls to σ of the uncompressed model's: an "
      "accuracy to σ·L0, a loss up to L0/σ. The 95% interval runs from the first r at which a "
      "new experiment's 95% prediction interval reaches the target to the first at which all "
      "of it is past the target. ≥ 1: no r below 1 reaches the target; 0: the law is past it "
      "already at r = 0; –: withheld, the target being at or below chance or the law unable to "
      "tell the metric changes with r. Each target, and the law's prediction at r = 0 and r → 1, "
      "is in laws.json. D = 0 and the largest D are in the [summary](#summary); here is "
      "unlimited recovery, D = ∞, an extrapolation of the law:");
  // D = 0 and the largest D are in the summary's table; unlimited recovery is here.
  std::vector<std::string> header = {"metric", "methods", "frontier", "L0"};
  for (const double sigma : kCriticalSigmas) header.push_back(concat("r* at σ=", sigma, ", D=∞"));
  // One row per law, frontier and D; one column per σ.
  std::vector<std::vector<std::string>> table;
  std::map<std::vector<std::string>, std::size_t> row_of;
  std::map<std::string, Plot> plots;
  for (const CriticalRow& row : critical_) {
    const std::string d = row.tokens ? significant(*row.tokens, 6) : "∞";
    if (!row.tokens) {
      const std::vector<std::string> cells = {row.metric, row.group(), row.frontier,
                                              table_number(row.base_value)};
      const auto [at, added] = row_of.emplace(cells, table.size());
      if (added) table.push_back(cells);
      table[at->second].push_back(critical_cell(row.critical));
    }
    if (row.family == kAllMethods) continue;
    const laws::CriticalRatio& c = row.critical;
    const std::string key = file_stem(concat("critical_", row.metric, "_", row.frontier));
    Plot& plot = plots[key];
    plot.name = key;
    plot.title = concat("critical ratio r* (", row.metric, ", ", row.frontier, ")");
    plot.x_label = "σ (share of performance kept)";
    plot.y_label = "r*";
    const std::string title = concat(row.group(), ", D = ", d);
    auto series = std::find_if(plot.series.begin(), plot.series.end(),
                               [&](const PlotSeries& s) { return s.title == title; });
    if (series == plot.series.end()) {
      plot.series.push_back({title, {}, PlotSeries::kLinesPoints});
      series = plot.series.end() - 1;
    }
    if (c.ratio) series->points.emplace_back(row.sigma, *c.ratio);
  }
  doc_.table(header, table);
  for (const auto& [key, plot] : plots) {
    add_plot(plot,
             "The higher the curve, the more a model can be compressed before it loses "
             "that share; a missing point has no ratio in [0, 1).");
  }
}

void ReportWriter::findings(const std::vector<Finding>& found) {
  if (found.empty()) return;
  doc_.heading(2, "The paper's findings, here");
  doc_.paragraph(
      "Each finding of the paper (and, where a study compares recovery objectives, Minitron's "
      "claim for distillation), tested on this study's measurements with a 95% interval (from "
      "the standard errors the store records, the measurements taken as independent, unless a "
      "row says it is paired over documents). "
      "agrees / disagrees: the interval settles it; cannot tell: it does not.");
  // One table per claim of the paper, with each test of it.
  std::vector<std::string> claims;
  for (const Finding& f : found) {
    if (std::find(claims.begin(), claims.end(), f.paper) == claims.end()) claims.push_back(f.paper);
  }
  for (const std::string& claim : claims) {
    std::vector<std::vector<std::string>> rows;
    for (const Finding& f : found) {
      if (f.paper == claim) rows.push_back({f.topic, f.here, f.verdict});
    }
    const auto by = std::find_if(found.begin(), found.end(),
                                 [&](const Finding& f) { return f.paper == claim; });
    doc_.paragraph(by->claimed_by + ": **" + claim + "**.");
    doc_.table({"tested on", "here", "verdict"}, rows);
  }
}

Json ReportWriter::laws_json() const {
  Json out = Json::array();
  for (const StudyFit& f : fits_) {
    Json entry = {{"metric", f.metric},
                  {"family", f.family},
                  {"objective", recover::objective_name(f.objective)},
                  {"observations", f.observations.size()},
                  {"warnings", f.warnings},
                  {"reason", f.selection.reason},
                  {"selection", f.selection.json()},
                  {"law", nullptr}};
    Json critical = Json::array();
    for (const CriticalRow& row : critical_) {
      if (row.metric != f.metric || row.family != f.family || row.objective != f.objective) {
        continue;
      }
      const laws::CriticalRatio& c = row.critical;
      critical.push_back(
          {{"frontier", row.frontier},
           {"base_value", row.base_value},
           {"sigma", row.sigma},
           {"tokens", row.tokens ? Json(*row.tokens) : Json(nullptr)},
           {"target", row.target},
           {"ratio", c.ratio ? Json(*c.ratio) : Json(nullptr)},
           {"ci95", {c.low ? Json(*c.low) : Json(nullptr), c.high ? Json(*c.high) : Json(nullptr)}},
           {"meaning", c.meaning}});
    }
    entry["critical_ratios"] = std::move(critical);
    if (const laws::Candidate* chosen = f.chosen()) {
      entry["law"] = chosen->law->json();
      entry["prediction_band_coverage"] =
          laws::prediction_band_coverage(*chosen->law, f.observations);
    }
    out.push_back(entry);
  }
  return out;
}

}  // namespace claw::study
