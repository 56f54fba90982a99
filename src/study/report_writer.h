// The report's writer, shared by the files that draw its sections: report.cpp (the experiments:
// summary, protocols, metrics against r, recovery, speed, failures) and report_laws.cpp (the
// laws chosen, the critical ratios and the paper's findings). Internal to the study layer.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "core/json.h"
#include "study/plot.h"
#include "study/report_document.h"
#include "study/store.h"
#include "study/study_laws.h"
#include "study/study_results.h"

namespace claw::study {

// "1.234 ± 0.01", or the number alone.
std::string with_error(double value, std::optional<double> error);
// A metric name as a file stem: letters and digits kept, the rest '_'.
std::string file_stem(const std::string& metric);

class ReportWriter {
 public:
  ReportWriter(const Store& store, std::filesystem::path directory);

  // The report directory appears whole or not at all: it is drawn in a staging directory that
  // then takes the place of the old report.
  std::filesystem::path write();

 private:
  // report.cpp
  std::string html_with_title(const std::string& title);
  void add_plot(Plot plot, const std::string& caption);
  void summary();
  void protocols();
  void base_models();
  void metric_against_ratio(const MetricName& metric);
  void metrics_against_parameters();
  void recovery();
  void speed();
  void speed_side_by_side(const SpeedByEngine& engines);
  void speed_in_engine(const std::string& engine,
                       const std::vector<const ExperimentResult*>& experiments);
  void failures();

  // report_laws.cpp
  const StudyFit* fit_for(const std::string& metric, const std::string& family) const;
  void laws_section();
  void law_subsection(const StudyFit& fit);
  void law_plots(const StudyFit& fit);
  void critical();
  void findings();
  Json laws_json() const;

  const Store& store_;
  std::filesystem::path directory_;
  std::filesystem::path staging_;  // where write() draws the report before it replaces directory_
  StudyResults results_;
  std::vector<laws::Observation> observations_;
  std::vector<StudyFit> fits_;
  ReportDocument doc_;
  bool plots_missing_ = false;
};

}  // namespace claw::study
