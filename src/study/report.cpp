#include "study/report.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>
#include <tuple>

#include "compress/method_registry.h"
#include "core/atomic_file.h"
#include "core/error.h"
#include "core/format.h"
#include "core/log.h"
#include "laws/chance.h"
#include "study/evaluation.h"
#include "study/report_writer.h"

namespace claw::study {
namespace fs = std::filesystem;
namespace {

template <typename T>
std::string join_numbers(const std::vector<T>& items) {
  return join(items, [](const T& v) { return significant(static_cast<double>(v), 6); });
}

}  // namespace

std::string report_ratio(double r) {
  return significant(r, 3);
}

std::string file_stem(const std::string& metric) {
  std::string out;
  for (const char c : metric) out += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  return out;
}

ReportWriter::ReportWriter(const Store& store, fs::path directory)
    : store_(store), directory_(std::move(directory)), results_(store.experiments()) {
  observations_ = store_observations(results_.all, store.path().string());
  fits_ = fit_study_laws(observations_);
  critical_ = critical_ratios(fits_);
}

fs::path ReportWriter::write() {
  CLAW_CHECK(
      !fs::exists(directory_) || fs::is_empty(directory_) || fs::exists(directory_ / "report.md"),
      directory_.string(),
      ": holds files but no report.md; a report replaces its whole directory, so choose "
      "an empty or new one");
  AtomicDirectory output(directory_, /*replace=*/true);
  staging_ = output.staging();
  // The answers first; then the sections they link to; what enters no law last.
  const std::vector<Finding> found = paper_findings(results_);
  summary(found);
  doc_.heading(2, "Contents");
  doc_.contents();
  what_was_run();
  base_models();
  for (const MetricName& metric : results_.law_metric_names()) metric_against_ratio(metric);
  metrics_against_parameters();
  recovery();
  recovery_objectives();
  laws_section();
  critical();
  speed();
  findings(found);
  failures();
  appendix();
  if (plots_missing_) {
    doc_.paragraph(
        "Some plots are missing: gnuplot was not found or failed (install gnuplot-nox); "
        "their data and scripts are in this directory.");
  }
  const std::string title = "claw study: " + store_.meta("study_name").value_or("study");
  write_file_atomic(staging_ / "report.md", "# " + title + "\n\n" + doc_.markdown());
  write_file_atomic(staging_ / "report.html", doc_.html(title));
  write_file_atomic(staging_ / "laws.json", laws_json().dump(2) + "\n");
  output.commit();
  return directory_ / "report.md";
}

// Renders `plot` without its empty series, once per name; a plot with no point at all is left
// out, and so is one gnuplot could not draw.
std::optional<Figure> ReportWriter::render(Plot plot, const std::string& caption) {
  if (const auto drawn = rendered_.find(plot.name); drawn != rendered_.end()) return drawn->second;
  plot.series.erase(std::remove_if(plot.series.begin(), plot.series.end(),
                                   [](const PlotSeries& s) { return s.points.empty(); }),
                    plot.series.end());
  std::optional<Figure> figure;
  if (!plot.series.empty()) {
    if (render_plot(plot, staging_)) {
      figure = Figure{plot.name + ".png", plot.name + ".svg", plot.title, caption};
    } else {
      plots_missing_ = true;
    }
  }
  return rendered_[plot.name] = figure;
}

void ReportWriter::add_plot(Plot plot, const std::string& caption) {
  const bool empty = std::all_of(plot.series.begin(), plot.series.end(),
                                 [](const PlotSeries& s) { return s.points.empty(); });
  if (empty) {
    doc_.paragraph("(No point to plot: " + caption + ".)");
  } else if (std::optional<Figure> figure = render(std::move(plot), caption)) {
    doc_.figure(*std::move(figure));
  }
}

void ReportWriter::what_was_run() {
  doc_.heading(2, "What was run");
  doc_.paragraph(concat(
      "Store `", store_.path().string(), "`, created ", store_.meta("created").value_or("?"),
      " (the experiments by kind and their compute time are in the summary). "
      "Methods: ",
      join(results_.methods), "; ratios r: ", join_numbers(results_.ratios),
      "; recovery budgets D (tokens): ", join_numbers(results_.budgets),
      results_.objectives.size() > 1 ? "; each D > 0 recovered by next-token training (lm) and by "
                                       "distillation from the uncompressed model (kd)"
                                     : "",
      "."));
  // Methods that mean the same by r, together.
  std::vector<std::pair<std::string, std::vector<std::string>>> meanings;
  for (const std::string& method : results_.methods) {
    const compress::MethodInfo* info = compress::find_method(method);
    if (info == nullptr) continue;
    const std::string meaning =
        concat(info->ratio_meaning, " (", compress::family_name(info->family), ": ");
    auto slot = std::find_if(meanings.begin(), meanings.end(),
                             [&](const auto& m) { return m.first == meaning; });
    if (slot == meanings.end()) slot = meanings.insert(meanings.end(), {meaning, {}});
    slot->second.push_back(method);
  }
  doc_.paragraph(concat(
      "r is each method's native ratio: ",
      join(meanings, [](const auto& m) { return m.first + join(m.second) + ")"; }),
      ". D = 0 is the compressed model without recovery. Each law is the form, D scale and "
      "scope that best predicts ratios beyond those it was fitted on (docs/laws.md). Each plot "
      "NAME.png has NAME.svg, its data NAME.dat and its gnuplot script NAME.gp beside it."));
}

void ReportWriter::base_models() {
  doc_.heading(2, "Uncompressed models (L0)");
  doc_.paragraph(concat(
      "The metrics the laws are fitted to. Chance is the accuracy of a uniform guess. An "
      "accuracy not ",
      laws::kChanceStandardErrors,
      " standard errors above it is not above chance: no law is fitted to it and it has no "
      "critical ratio, since its changes under compression cannot be told from noise. Every "
      "other metric (perplexities, each task's acc and acc_norm, each paradigm of a group) is in [",
      kAppendixMetrics, "](#", ReportDocument::anchor(kAppendixMetrics), ")."));
  base_table(/*entering_laws=*/true);
}

void ReportWriter::base_table(bool entering_laws) {
  const std::vector<MetricName> laws = results_.law_metric_names();
  const bool several_models = results_.base.size() > 1;
  std::vector<std::vector<std::string>> rows;
  for (const ExperimentResult* e : results_.base) {
    for (const MetricValue& m : e->metrics) {
      const bool in_laws = std::find(laws.begin(), laws.end(), m.name) != laws.end();
      if (m.name.kind == MetricKind::kChance || in_laws != entering_laws) continue;
      const std::optional<double> chance = chance_level(*e, m.name);
      std::vector<std::string> row = {m.name.text(), measurement(m.value, m.standard_error),
                                      chance ? table_number(*chance) : "",
                                      chance && at_chance(*e, m.name) ? "not above chance" : ""};
      if (several_models) row.insert(row.begin(), e->model);
      rows.push_back(std::move(row));
    }
  }
  std::vector<std::string> header = {"metric", "value", "chance", ""};
  if (several_models) header.insert(header.begin(), "model");
  doc_.table(header, rows);
}

// Points per method at D = 0 and at the largest D, with each family's chosen law and its 95%
// prediction band at the same D.
void ReportWriter::metric_against_ratio(const MetricName& metric) {
  const std::string kind = metric.kind_text();
  const std::string& task = metric.subject;
  const std::string name = metric.text();
  doc_.heading(2, name + " against r");
  const ExperimentResult* base = results_.base_with(metric);
  const double l0 = base != nullptr ? base->metric(metric)->value : NAN;
  const std::string frontier = base != nullptr ? base->model + "/" + task : "";
  std::vector<std::int64_t> shown = {results_.budgets.front()};
  if (results_.budgets.size() > 1) shown.push_back(results_.budgets.back());
  std::vector<std::string> header = {"method", "D"};
  for (const double r : results_.ratios) header.push_back("r=" + report_ratio(r));
  std::vector<std::vector<std::string>> rows;
  std::vector<Plot> plots;
  bool with_laws = false;
  for (const std::int64_t tokens : shown) {
    Plot plot{concat(file_stem(name), "_D", tokens),
              concat(name, " against r, D = ", tokens, " tokens (L0 = ", significant(l0), ")"),
              "compression ratio r", name};
    for (const std::string& method : results_.methods) {
      std::vector<std::string> row = {method, std::to_string(tokens)};
      PlotSeries points{method, {}, PlotSeries::kPoints};
      for (const double r : results_.ratios) {
        const double v = results_.value(method, r, tokens, metric);
        row.push_back(table_number(v));
        if (std::isfinite(v)) points.points.emplace_back(r, v);
      }
      rows.push_back(row);
      plot.series.push_back(points);
    }
    // Dark colours, apart from the methods' points.
    const std::vector<std::string> families = compress::family_names();
    const char* const colors[] = {"#333333", "#b2182b"};
    for (std::size_t f = 0; f < families.size(); ++f) {
      const std::string& family = families[f];
      const char* const color = colors[f % 2];
      const StudyFit* fit = fit_for(kind, family);
      if (fit == nullptr || !std::isfinite(l0)) continue;
      const laws::FittedLaw& law = *fit->chosen()->law;
      if (!law.covers(frontier)) continue;  // a per-frontier law without it (left out at chance)
      PlotSeries band{concat("95% band, ", family), {}, PlotSeries::kBand};
      PlotSeries line{concat("law, ", family), {}, PlotSeries::kLines};
      band.color = line.color = color;
      for (int i = 0; i <= 50; ++i) {
        const double r = 0.95 * i / 50.0;
        const laws::Interval p = laws::predict(law, frontier, l0, r, static_cast<double>(tokens));
        band.points.emplace_back(r, p.low);
        band.upper.push_back(p.high);
        line.points.emplace_back(r, p.estimate);
      }
      plot.series.push_back(band);
      plot.series.push_back(line);
      with_laws = true;
    }
    plots.push_back(std::move(plot));
  }
  if (base != nullptr && at_chance(*base, metric)) {
    doc_.paragraph(concat("The uncompressed model's ", name,
                          " is not above chance: what follows is noise about a guess, and no law "
                          "is fitted to it."));
  }
  doc_.table(header, rows);
  for (Plot& plot : plots) {
    add_plot(std::move(plot), with_laws ? "Points: measured; lines and bands: each family's law "
                                          "and its 95% band."
                                        : "Points: measured; no law covers this metric.");
  }
}

// Methods whose ratios mean different things side by side: the fraction of non-embedding
// parameters each method removed at each of its ratios, and every law metric against it.
void ReportWriter::metrics_against_parameters() {
  if (results_.compressed.empty()) return;
  doc_.heading(2, kQualityAgainstRemoved);
  doc_.paragraph(
      "The fraction of the model's non-embedding parameters each method removed at each of its "
      "ratios: the common scale on which methods of different structure compare (target_params "
      "in the study config plans them at equal fractions). The values at each ratio are in the "
      "tables above.");
  std::vector<std::string> header = {"method"};
  for (const double r : results_.ratios) header.push_back("r=" + report_ratio(r));
  std::vector<std::vector<std::string>> rows;
  for (const std::string& method : results_.methods) {
    std::vector<std::string> row = {method};
    for (const double r : results_.ratios) {
      const double fraction =
          results_.value(method, r, results_.budgets.front(), kFractionRemovedWithoutEmbeddings);
      row.push_back(std::isfinite(fraction) ? significant(100 * fraction, 3) + "%" : "–");
    }
    rows.push_back(std::move(row));
  }
  doc_.table(header, rows);
  std::vector<std::int64_t> shown = {results_.budgets.front()};
  if (results_.budgets.size() > 1) shown.push_back(results_.budgets.back());
  for (const std::int64_t tokens : shown) {
    for (const MetricName& metric : results_.law_metric_names()) {
      Plot plot = quality_against_removed(metric, tokens);
      const bool with_laws =
          std::any_of(plot.series.begin(), plot.series.end(),
                      [](const PlotSeries& s) { return s.style == PlotSeries::kLines; });
      add_plot(std::move(plot),
               concat(metric.lower_is_better() ? "Lower" : "Higher", " is better at equal size",
                      with_laws ? "; lines: each family's law." : "; no law covers this metric."));
    }
  }
}

void ReportWriter::recovery() {
  if (results_.budgets.size() < 2) return;
  doc_.heading(2, "Recovery: gain against D");
  const double middle = results_.ratios[results_.ratios.size() / 2];
  for (const MetricName& metric : results_.law_metric_names()) {
    const bool loss = metric.lower_is_better();
    const std::string name = metric.text();
    Plot plot{
        "recovery_" + file_stem(name),
        concat(name, loss ? " removed" : " regained", " by recovery at r = ", report_ratio(middle)),
        "recovery tokens D", loss ? "loss(D=0) - loss(D)" : "accuracy(D) - accuracy(D=0)"};
    std::vector<std::string> header = {"method"};
    for (const std::int64_t d : results_.budgets) {
      if (d > 0) header.push_back(concat("D=", d));  // D = 0 gains nothing by definition
    }
    std::vector<std::vector<std::string>> rows;
    for (const std::string& method : results_.methods) {
      const double start = results_.value(method, middle, 0, metric);
      PlotSeries series{method, {}, PlotSeries::kLinesPoints};
      std::vector<std::string> row = {method};
      for (const std::int64_t d : results_.budgets) {
        if (d == 0) continue;
        const double v = results_.value(method, middle, d, metric);
        const double gain = loss ? start - v : v - start;
        row.push_back(table_number(gain));
        if (std::isfinite(gain)) series.points.emplace_back(static_cast<double>(d), gain);
      }
      rows.push_back(row);
      plot.series.push_back(series);
    }
    plot.log_x = true;
    doc_.paragraph(concat(name, ": gain from recovery at r = ", report_ratio(middle),
                          " (positive: recovery helped)."));
    doc_.table(header, rows);
    add_plot(plot, "Above 0, recovery helped; where a curve flattens, more tokens buy little.");
  }
}

void ReportWriter::speed() {
  if (results_.speed.empty()) return;
  doc_.heading(2, "Speed against r");
  const SpeedByEngine engines = results_.speed_by_engine();
  doc_.paragraph(concat("On ", results_.speed.front()->model,
                        "'s shapes, randomly initialised: speed depends on the shapes only. "
                        "random stands for every FFN-pruning method. Measured in ",
                        join(engines, [](const auto& engine) { return engine.first; }),
                        " (claw is claw's own LibTorch engine; llama.cpp the engine deployed "
                        "models run in); each engine's protocol is in [",
                        kAppendixProtocols, "](#", ReportDocument::anchor(kAppendixProtocols),
                        "). The ideal is the shapes' FLOPs (prefill) or the bytes a decode step "
                        "reads; the engines' ideals differ where the GGUF file's tensor types or "
                        "padding do. docs/speed.md says when a measured speedup can be trusted."));
  std::set<SpeedSetting> settings;
  for (const ExperimentResult* e : results_.speed) {
    for (const MetricValue& m : e->metrics) {
      if (m.name.is_speed()) settings.insert(m.name.setting);
    }
  }
  for (const SpeedSetting& setting : settings) {
    speed_table(engines, setting);
    for (const auto& [engine, experiments] : engines) speed_plot(engine, experiments, setting);
  }
}

// One row per method, ratio and engine, the engines of one model side by side.
void ReportWriter::speed_table(const SpeedByEngine& engines, const SpeedSetting& setting) {
  std::map<std::pair<std::string, double>, std::vector<std::vector<std::string>>> rows;
  for (const auto& [engine, experiments] : engines) {
    for (const ExperimentResult* e : experiments) {
      auto get = [&](MetricKind kind, SpeedPhase phase, int digits) {
        const MetricValue* m = e->metric(MetricName::speed(kind, phase, setting));
        return table_number(m ? m->value : NAN, digits);
      };
      const MetricValue* removed = e->metric(kFractionRemovedTotal);
      rows[{e->method, e->ratio}].push_back(
          {e->method, report_ratio(e->ratio), engine,
           removed ? significant(100 * removed->value, 3) + "%" : "–",
           get(MetricKind::kSpeedup, SpeedPhase::kPrefill, 3),
           get(MetricKind::kIdealSpeedup, SpeedPhase::kPrefill, 3),
           get(MetricKind::kSpeedup, SpeedPhase::kDecode, 3),
           get(MetricKind::kIdealSpeedup, SpeedPhase::kDecode, 3),
           get(MetricKind::kTokensPerSecond, SpeedPhase::kPrefill, 4),
           get(MetricKind::kTokensPerSecond, SpeedPhase::kDecode, 4)});
    }
  }
  std::vector<std::vector<std::string>> table;
  for (auto& [where, engine_rows] : rows) {
    for (std::vector<std::string>& row : engine_rows) table.push_back(std::move(row));
  }
  doc_.paragraph("Setting " + setting.text() + " (batch, prefill tokens):");
  doc_.table({"method", "r", "engine", "parameters removed", "prefill speedup", "ideal",
              "decode speedup", "ideal", "prefill tok/s", "decode tok/s"},
             table);
}

void ReportWriter::speed_plot(const std::string& engine,
                              const std::vector<const ExperimentResult*>& experiments,
                              const SpeedSetting& setting) {
  const std::string at = setting.text();
  Plot plot{file_stem("speedup_" + engine + "_" + at),
            concat("speedup against r in ", engine, " (", at, ")"), "compression ratio r",
            "speedup over the base (x)"};
  std::map<std::string, std::array<PlotSeries, 4>> series;
  for (const ExperimentResult* e : experiments) {
    auto get = [&](MetricKind kind, SpeedPhase phase) {
      const MetricValue* m = e->metric(MetricName::speed(kind, phase, setting));
      return m ? m->value : NAN;
    };
    auto& s = series[e->method];
    s[0].title = e->method + " prefill";
    s[1].title = e->method + " prefill ideal";
    s[1].style = PlotSeries::kDashed;
    s[2].title = e->method + " decode";
    s[3].title = e->method + " decode ideal";
    s[3].style = PlotSeries::kDashed;
    s[0].points.emplace_back(e->ratio, get(MetricKind::kSpeedup, SpeedPhase::kPrefill));
    s[1].points.emplace_back(e->ratio, get(MetricKind::kIdealSpeedup, SpeedPhase::kPrefill));
    s[2].points.emplace_back(e->ratio, get(MetricKind::kSpeedup, SpeedPhase::kDecode));
    s[3].points.emplace_back(e->ratio, get(MetricKind::kIdealSpeedup, SpeedPhase::kDecode));
  }
  for (auto& [method, four] : series) {
    for (PlotSeries& s : four) {
      std::sort(s.points.begin(), s.points.end());
      plot.series.push_back(s);
    }
  }
  add_plot(plot, concat("In ", engine,
                        ". Solid: measured; dashed: the shapes' ideal; the gap is "
                        "what the engine loses to fixed costs."));
}

void ReportWriter::failures() {
  const std::vector<Failure> all = store_.failures();
  if (all.empty()) return;
  const std::set<std::string> finished = store_.finished_keys();
  doc_.heading(2, "Failures");
  std::vector<std::vector<std::string>> rows;
  for (const Failure& f : all) {
    rows.push_back({f.label, f.stage, f.message, f.at,
                    finished.count(f.experiment) > 0 ? "finished on a later run" : "open"});
  }
  doc_.table({"experiment", "stage", "message", "at", "now"}, rows);
}

fs::path write_report(const Store& store, const fs::path& directory) {
  ReportWriter writer(store, directory);
  return writer.write();
}

}  // namespace claw::study
