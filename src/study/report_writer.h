// The report's writer, shared by the files that draw its sections: report_summary.cpp (the
// answers, first), report.cpp (the experiments: what was run, metrics against r and against
// the parameters removed, recovery, speed, failures), report_laws.cpp (the laws chosen, the
// critical ratios and the paper's findings) and report_appendix.cpp (protocols, and the metrics
// that enter no law). Internal to the study layer.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/json.h"
#include "study/findings.h"
#include "study/objective_comparison.h"
#include "study/plot.h"
#include "study/report_document.h"
#include "study/store.h"
#include "study/study_laws.h"
#include "study/study_results.h"

namespace claw::study {

// The appendices' headings, which the sections above link to.
inline constexpr const char* kAppendixProtocols = "Appendix A: protocols";
inline constexpr const char* kAppendixMetrics =
    "Appendix B: the uncompressed models' metrics that enter no law";

// A section the summary links to.
inline constexpr const char* kQualityAgainstRemoved =
    "Quality against the fraction of parameters removed";
inline constexpr const char* kObjectivesSection =
    "Recovery: distillation against next-token training";

// A ratio as the report prints it: "0.25".
std::string report_ratio(double r);
// A critical ratio as a table cell: "0.0713 [0.0388, 0.105]", "≥ 1 [0.905, ≥ 1]" (not reached
// before r = 1), "0" (past the target already at r = 0), or "–" (withheld).
std::string critical_cell(const laws::CriticalRatio& critical);
// A metric name as a file stem: letters and digits kept, the rest '_'.
std::string file_stem(const std::string& metric);

class ReportWriter {
 public:
  ReportWriter(const Store& store, std::filesystem::path directory);

  // The report directory appears whole or not at all: it is drawn in a staging directory that
  // then takes the place of the old report.
  std::filesystem::path write();

 private:
  // report.cpp: the experiments, in the order of the report after its summary
  std::optional<Figure> render(Plot plot, const std::string& caption);
  void add_plot(Plot plot, const std::string& caption);
  void what_was_run();
  void base_models();
  // The uncompressed models' metrics that enter a law, or those that enter none.
  void base_table(bool entering_laws);
  void metric_against_ratio(const MetricName& metric);
  void metrics_against_parameters();
  void recovery();
  void speed();
  void speed_table(const SpeedByEngine& engines, const SpeedSetting& setting);
  void speed_plot(const std::string& engine,
                  const std::vector<const ExperimentResult*>& experiments,
                  const SpeedSetting& setting);
  void failures();

  // report_objectives.cpp: distillation against next-token recovery
  void recovery_objectives();
  void objective_critical_ratios();
  // The next-token budget whose law reaches the distilled model's value, as a table cell.
  std::string tokens_to_match(const ObjectiveComparison& c) const;

  // report_summary.cpp: the answers first, on one screen
  void summary(const std::vector<Finding>& found);
  std::string summary_laws() const;
  std::string summary_critical() const;
  std::string summary_findings(const std::vector<Finding>& found) const;
  std::string summary_distillation(const std::vector<Finding>& found) const;
  std::string summary_speed() const;
  void critical_at_a_glance();
  void least_loss_by_size();
  // Quality against the fraction of parameters removed, each method's points with its family's
  // chosen law drawn through its ratios.
  Plot quality_against_removed(const MetricName& metric, std::int64_t tokens) const;

  // report_laws.cpp
  // The chosen law of `metric` for `family` under `objective`; null for none.
  const StudyFit* fit_for(const std::string& metric, const std::string& family,
                          recover::Objective objective = recover::Objective::kNextToken) const;
  // The chosen law that covers `method`: its family's, else the pooled one; null for none.
  const StudyFit* fit_covering(const std::string& metric, const std::string& method) const;
  void laws_section();
  void law_subsection(const StudyFit& fit);
  void forms_table(const StudyFit& fit);
  void law_plots(const StudyFit& fit);
  void critical();
  void findings(const std::vector<Finding>& found);
  Json laws_json() const;

  // report_appendix.cpp: what enters no law
  void appendix();

  const Store& store_;
  std::filesystem::path directory_;
  std::filesystem::path staging_;  // where write() draws the report before it replaces directory_
  StudyResults results_;
  std::vector<laws::Observation> observations_;
  std::vector<StudyFit> fits_;
  std::vector<CriticalRow> critical_;
  ReportDocument doc_;
  std::map<std::string, std::optional<Figure>> rendered_;  // by plot name: each drawn once
  std::set<std::string> warned_;                           // the law warnings already given
  bool plots_missing_ = false;
};

}  // namespace claw::study
