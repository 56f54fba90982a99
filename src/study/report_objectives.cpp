// The report's comparison of recovery objectives: distillation against next-token training at
// each (method, r, D), the next-token budget that would match each distilled model, and the
// critical ratios each objective's laws give.
#include <cmath>

#include "core/format.h"
#include "laws/critical.h"
#include "study/objective_comparison.h"
#include "study/report_writer.h"

namespace claw::study {
namespace {

// How far past the largest D fitted "tokens to match" is searched: beyond it the law only
// extrapolates, and the cell says so.
constexpr double kMatchSearchFactor = 10;

// The distillation settings of the first distilled experiment, for the section's text.
std::string distillation_settings(const StudyResults& results) {
  for (const ExperimentResult* e : results.compressed) {
    if (e->objective() != recover::Objective::kDistillation) continue;
    const Json& s = e->config.at("recovery");
    return concat("kd_weight ", s.at("kd_weight").get<double>(),
                  ", T = ", s.at("kd_temperature").get<double>(),
                  s.contains("kd_top_k") && !s.at("kd_top_k").is_null()
                      ? concat(", the teacher's top ", s.at("kd_top_k").get<std::int64_t>())
                      : std::string());
  }
  return "";
}

// The largest D a law was fitted on.
double largest_tokens(const StudyFit& fit) {
  double largest = 0;
  for (const laws::Observation& o : fit.observations) largest = std::max(largest, o.tokens);
  return largest;
}

}  // namespace

std::string ReportWriter::tokens_to_match(const ObjectiveComparison& c) const {
  const StudyFit* fit = fit_covering(c.metric.kind_text(), c.method);
  if (fit == nullptr) return "– (no next-token law)";
  const laws::FittedLaw& law = *fit->chosen()->law;
  const double largest = largest_tokens(*fit);
  if (largest <= 0 || !law.covers(c.frontier())) return "– (no next-token law)";
  // The law's curve in D through the next-token model measured at (r, D): a law a percent off at
  // this point would otherwise say a distilled model worse than the next-token one matched more
  // tokens than D.
  const double at_d =
      laws::predict(law, c.frontier(), c.base_value, c.ratio, static_cast<double>(c.tokens))
          .estimate;
  const double target = c.distilled.value * at_d / c.next_token.value;
  const std::optional<double> tokens =
      laws::tokens_to_reach(law, c.frontier(), c.base_value, c.ratio, target,
                            c.metric.lower_is_better(), kMatchSearchFactor * largest);
  if (!tokens) return concat("> ", significant(kMatchSearchFactor * largest, 3));
  // The law puts even the unrecovered model there: distillation bought nothing it can see.
  if (*tokens == 0) return "0 (unrecovered)";
  return concat(significant(*tokens, 3), *tokens > largest ? " *" : "");
}

void ReportWriter::recovery_objectives() {
  const std::vector<ObjectiveComparison> comparisons = compare_objectives(results_);
  if (comparisons.empty()) return;
  doc_.heading(2, kObjectivesSection);
  doc_.paragraph(concat(
      "Each recovered model was trained twice on the same D tokens of the same text: by next-token "
      "training (lm) and by distillation from its own uncompressed model (kd: ",
      distillation_settings(results_),
      "). kd − lm is the difference with its 95% interval, paired over the documents (or "
      "windows) both were scored on, which leaves out how hard each document is; † marks an "
      "interval that takes the two measurements as independent instead (records without each "
      "document's loss, or accuracies), which is wider. Tokens to match: the D at which next-token "
      "training reaches the distilled "
      "model's value, by the chosen next-token law of the method's family drawn through the "
      "next-token model measured at this r and D (below D where distillation did worse); 0 means "
      "the law predicts that value without recovery; * marks a D beyond "
      "the largest the law was fitted on (an extrapolation), > a D not reached within ",
      kMatchSearchFactor,
      " times it. The tables of the sections above are next-token training's."));
  for (const MetricName& metric : results_.law_metric_names()) {
    std::vector<std::vector<std::string>> rows;
    for (const ObjectiveComparison& c : comparisons) {
      if (c.metric != metric) continue;
      rows.push_back({c.model, c.method, report_ratio(c.ratio), std::to_string(c.tokens),
                      measurement(c.next_token.value, c.next_token.standard_error),
                      measurement(c.distilled.value, c.distilled.standard_error),
                      c.low ? concat(significant(c.difference, 3), " [", significant(*c.low, 3),
                                     ", ", significant(*c.high, 3), "]", c.paired ? "" : " †")
                            : significant(c.difference, 3),
                      tokens_to_match(c)});
    }
    if (rows.empty()) continue;
    doc_.paragraph(
        concat(metric.text(), " (", metric.lower_is_better() ? "lower" : "higher", " is better):"));
    doc_.table({"model", "method", "r", "D", "lm", "kd", "kd − lm [95%]", "lm tokens to match"},
               rows);
  }
  objective_critical_ratios();
}

// r* at σ = 0.9 and the largest D, per objective side by side (every σ and D: the critical
// ratios section).
void ReportWriter::objective_critical_ratios() {
  constexpr double kSigma = 0.9;
  const double largest = static_cast<double>(results_.budgets.back());
  std::map<std::vector<std::string>, std::map<recover::Objective, std::string>> cells;
  for (const CriticalRow& row : critical_) {
    if (row.sigma != kSigma || !row.tokens || *row.tokens != largest) continue;
    cells[{row.metric, row.frontier, row.family}][row.objective] = critical_cell(row.critical);
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& [key, by_objective] : cells) {
    std::vector<std::string> row = key;
    for (const recover::Objective objective : recover::kObjectives) {
      const auto found = by_objective.find(objective);
      row.push_back(found != by_objective.end() ? found->second : "–");
    }
    rows.push_back(std::move(row));
  }
  if (rows.empty()) return;
  doc_.paragraph(concat("Critical ratio r* [95% interval] at σ = ", kSigma,
                        " and D = ", significant(largest, 6), ", each objective's own law:"));
  std::vector<std::string> header = {"metric", "frontier", "methods"};
  for (const recover::Objective objective : recover::kObjectives) {
    header.push_back(concat("r*, ", recover::objective_name(objective)));
  }
  doc_.table(header, rows);
}

}  // namespace claw::study
