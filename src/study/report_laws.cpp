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

const char* criterion_column(const std::string& by) {
  if (by == "rolling") return "rolling";
  if (by == "ratio") return "ratio-out";
  return "D-out";
}

}  // namespace

const StudyFit* ReportWriter::fit_for(const std::string& metric, const std::string& family) const {
  for (const StudyFit& f : fits_) {
    if (f.metric == metric && f.family == family && f.chosen() != nullptr) return &f;
  }
  return nullptr;
}

void ReportWriter::laws_section() {
  doc_.heading(2, "Compression laws");
  doc_.paragraph(
      "Each form of docs/laws.md is fitted by OLS on log L, with D scaled in tokens, thousands, "
      "millions or by a fitted s, pooled over the frontiers (model × dataset) or per frontier. "
      "Each is scored by how well it predicts what it was not fitted on: leave one ratio out, "
      "leave one D out, leave one frontier out, and the rolling extrapolation (fit on r ≤ r_k, "
      "predict every r > r_k). The chosen law has the lowest rolling-extrapolation MAPE, or "
      "the fewest coefficients among those within one standard error of it. R² of log L is "
      "centred (around the mean of log L); R² vs L0 is against the null law L = L0.");
  for (const StudyFit& fit : fits_) law_subsection(fit);
}

void ReportWriter::law_subsection(const StudyFit& fit) {
  doc_.heading(3, concat(fit.metric, ", ", fit.family));
  for (const std::string& w : fit.warnings) doc_.paragraph("**Warning:** " + w);
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
      "Chosen: **", chosen->spec.name(), "**, `", law.spec.form->formula, "` (",
      law.spec.form->origin, "), fitted to ", fit.observations.size(),
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

  std::vector<std::vector<std::string>> rows;
  for (const laws::Candidate* c : best_per_form(fit.selection)) {
    const bool is_chosen = c == chosen;
    if (!c->law) {
      rows.push_back({c->spec.form->name, "–", "–", "–", "–", "–", "–", "–", "–", "–",
                      "not fitted: " + c->error});
      continue;
    }
    const laws::FitDiagnostics& d = c->law->diagnostics;
    rows.push_back({c->spec.form->name,
                    c->spec.form->uses_tokens() ? laws::d_scale_name(c->spec.d_scale) : "–",
                    laws::scope_name(c->spec.scope), std::to_string(c->law->parameters()),
                    significant(d.r_squared_log), significant(d.r_squared_null),
                    laws::mape_text(laws::find_held_out(c->held_out, "ratio")),
                    laws::mape_text(laws::find_held_out(c->held_out, "tokens")),
                    laws::mape_text(laws::find_held_out(c->held_out, "frontier")),
                    laws::mape_text(laws::find_held_out(c->held_out, "rolling")),
                    is_chosen ? "**chosen**" : ""});
  }
  doc_.paragraph(concat("Each form at its best D scale and scope (by ",
                        criterion_column(fit.selection.criterion),
                        " MAPE); every candidate is in laws.json. k: coefficients; *: a fold "
                        "could not be refitted."));
  doc_.table({"form", "D scale", "scope", "k", "R² log L", "R² vs L0", "ratio-out MAPE",
              "D-out MAPE", "frontier-out MAPE", "rolling MAPE", ""},
             rows);

  std::vector<std::vector<std::string>> coefficients;
  for (const laws::LawPart& part : law.parts) {
    const std::string where = part.frontier.empty() ? "pooled" : part.frontier;
    for (const laws::Coefficient& c : part.fit.coefficients) {
      coefficients.push_back({where, c.name, with_error(c.estimate, c.std_error),
                              concat("[", significant(c.ci_low), ", ", significant(c.ci_high), "]"),
                              significant(c.p_value, 3)});
    }
    coefficients.push_back(
        {where, "fit",
         concat(
             "centred R² of log L ", significant(part.diagnostics.r_squared_log),
             "; statsmodels' R² ", significant(part.fit.r_squared),
             part.fit.centered ? " (centred)" : " (uncentred: no constant, near 1 for any data)"),
         concat("s = ", significant(part.d_scale), " tokens"),
         concat("n = ", part.fit.observations)});
  }
  doc_.table({"part", "coefficient", "estimate ± std. error", "95% interval", "p"}, coefficients);
  law_plots(fit);
}

// Observed against predicted, and the log-scale residuals against r, per frontier.
void ReportWriter::law_plots(const StudyFit& fit) {
  const laws::FittedLaw& law = *fit.chosen()->law;
  const std::string stem = file_stem(concat(fit.metric, "_", fit.family));
  Plot observed{"observed_predicted_" + stem,
                concat(fit.metric, ", ", fit.family, ": observed against the chosen law"),
                "predicted", "observed"};
  Plot residual{"residuals_" + stem,
                concat(fit.metric, ", ", fit.family, ": residuals of the chosen law against r"),
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
  add_plot(observed, concat(fit.metric, ", ", fit.family,
                            ": each experiment against the chosen law's prediction"));
  add_plot(residual, concat(fit.metric, ", ", fit.family,
                            ": log-scale residuals against r; a trend is what the form misses"));
}

void ReportWriter::critical() {
  const std::vector<CriticalRow> rows = critical_ratios(fits_);
  if (rows.empty()) return;
  doc_.heading(2, "Critical compression ratios");
  doc_.paragraph(
      "r* is where the chosen law says performance falls to σ of the uncompressed model's: an "
      "accuracy to σ·L0, a loss up to L0/σ. The 95% interval runs from the first r at which a "
      "new experiment's 95% prediction interval reaches the target to the first at which all "
      "of it is past the target. D = ∞ is unlimited recovery, an extrapolation of the law.");
  std::vector<std::vector<std::string>> table;
  std::map<std::string, Plot> plots;
  auto bound = [](const std::optional<double>& x) {
    return x ? significant(*x, 3) : std::string("≥ 1");
  };
  for (const CriticalRow& row : rows) {
    const std::string d = row.tokens ? significant(*row.tokens, 6) : "∞";
    const laws::CriticalRatio& c = row.critical;
    table.push_back({row.metric, row.family, row.frontier, significant(row.sigma, 3), d,
                     significant(row.target), c.ratio ? significant(*c.ratio, 3) : "–",
                     c.ratio || c.low ? concat("[", bound(c.low), ", ", bound(c.high), "]") : "–",
                     c.ratio ? "" : c.meaning});
    if (row.family == "all methods") continue;
    const std::string key = file_stem(concat("critical_", row.metric, "_", row.frontier));
    Plot& plot = plots[key];
    plot.name = key;
    plot.title = concat("critical ratio r* (", row.metric, ", ", row.frontier, ")");
    plot.x_label = "σ (share of performance kept)";
    plot.y_label = "r*";
    const std::string title = concat(row.family, ", D = ", d);
    auto series = std::find_if(plot.series.begin(), plot.series.end(),
                               [&](const PlotSeries& s) { return s.title == title; });
    if (series == plot.series.end()) {
      plot.series.push_back({title, {}, PlotSeries::kLinesPoints});
      series = plot.series.end() - 1;
    }
    if (c.ratio) series->points.emplace_back(row.sigma, *c.ratio);
  }
  doc_.table(
      {"metric", "methods", "frontier", "σ", "D", "target", "r*", "95% interval", "why none"},
      table);
  for (const auto& [key, plot] : plots) {
    add_plot(plot, plot.title + " against σ; a missing point has no ratio in [0, 1)");
  }
}

void ReportWriter::findings() {
  const std::vector<Finding> found = paper_findings(results_);
  if (found.empty()) return;
  doc_.heading(2, "The paper's findings, here");
  doc_.paragraph(
      "Each finding of the paper, tested on this study's measurements with a 95% interval "
      "(from the standard errors the store records, the measurements taken as independent). "
      "agrees / disagrees: the interval settles it; cannot tell: it does not.");
  std::vector<std::vector<std::string>> rows;
  for (const Finding& f : found) rows.push_back({f.topic, f.paper, f.here, f.verdict});
  doc_.table({"finding", "the paper", "here", "verdict"}, rows);
}

Json ReportWriter::laws_json() const {
  Json out = Json::array();
  for (const StudyFit& f : fits_) {
    Json entry = {{"metric", f.metric},
                  {"family", f.family},
                  {"observations", f.observations.size()},
                  {"warnings", f.warnings},
                  {"reason", f.selection.reason},
                  {"selection", f.selection.json()},
                  {"law", nullptr}};
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
