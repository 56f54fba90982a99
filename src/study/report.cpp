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

std::string report_ratio(double r) {
  return significant(r, 3);
}

template <typename T>
std::string join_numbers(const std::vector<T>& items) {
  return join(items, [](const T& v) { return significant(static_cast<double>(v), 6); });
}

}  // namespace

std::string with_error(double value, std::optional<double> error) {
  return error ? significant(value) + " ± " + significant(*error, 2) : significant(value);
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
}

fs::path ReportWriter::write() {
  CLAW_CHECK(
      !fs::exists(directory_) || fs::is_empty(directory_) || fs::exists(directory_ / "report.md"),
      directory_.string(),
      ": holds files but no report.md; a report replaces its whole directory, so choose "
      "an empty or new one");
  AtomicDirectory output(directory_, /*replace=*/true);
  staging_ = output.staging();
  summary();
  protocols();
  base_models();
  for (const MetricName& metric : results_.law_metric_names()) metric_against_ratio(metric);
  metrics_against_parameters();
  recovery();
  laws_section();
  critical();
  speed();
  findings();
  failures();
  if (plots_missing_) {
    doc_.paragraph(
        "Some plots are missing: gnuplot was not found or failed (install gnuplot-nox); "
        "their data and scripts are in this directory.");
  }
  const std::string title = "claw study: " + store_.meta("study_name").value_or("study");
  write_file_atomic(staging_ / "report.md", "# " + title + "\n\n" + doc_.markdown());
  write_file_atomic(staging_ / "report.html", html_with_title(title));
  write_file_atomic(staging_ / "laws.json", laws_json().dump(2) + "\n");
  output.commit();
  return directory_ / "report.md";
}

std::string ReportWriter::html_with_title(const std::string& title) {
  std::string html = doc_.html(title);
  const std::string marker = "<body>\n";
  html.insert(html.find(marker) + marker.size(), "<h1>" + title + "</h1>\n");
  return html;
}

// Renders `plot` without its empty series; a plot with no point at all is left out.
void ReportWriter::add_plot(Plot plot, const std::string& caption) {
  plot.series.erase(std::remove_if(plot.series.begin(), plot.series.end(),
                                   [](const PlotSeries& s) { return s.points.empty(); }),
                    plot.series.end());
  if (plot.series.empty()) {
    doc_.paragraph("(No point to plot: " + caption + ".)");
    return;
  }
  if (render_plot(plot, staging_)) {
    doc_.figure(plot.name + ".png", plot.name + ".svg", caption);
  } else {
    plots_missing_ = true;
  }
}

void ReportWriter::summary() {
  std::map<std::string, int> kinds;
  double seconds = 0;
  for (const ExperimentResult& e : results_.all) {
    ++kinds[e.kind];
    seconds += e.seconds;
  }
  doc_.paragraph(concat("Store `", store_.path().string(), "`, created ",
                        store_.meta("created").value_or("?"), ". ", results_.all.size(),
                        " experiments: ", kinds["base"], " base, ", kinds["compressed"],
                        " compressed, ", kinds["speed"], " speed; ", significant(seconds / 60, 3),
                        " minutes of compute. Methods: ", join(results_.methods),
                        "; ratios r: ", join_numbers(results_.ratios),
                        "; recovery budgets D (tokens): ", join_numbers(results_.budgets), "."));
  std::vector<std::string> meanings;
  for (const std::string& method : results_.methods) {
    if (const compress::MethodInfo* info = compress::find_method(method)) {
      meanings.push_back(concat(info->ratio_meaning, " (", method, ", ",
                                compress::family_name(info->family), ")"));
    }
  }
  doc_.paragraph(
      concat("r is each method's native ratio: ", join(meanings),
             ". D = 0 is the compressed model without recovery. Each law is the form, D scale and "
             "scope that best predicts ratios beyond those it was fitted on (docs/laws.md)."));
}

void ReportWriter::protocols() {
  doc_.heading(2, "Protocols");
  std::vector<std::vector<std::string>> rows;
  std::set<MetricName> seen;
  for (const ExperimentResult& e : results_.all) {
    for (const MetricValue& m : e.metrics) {
      if (seen.insert(m.name).second) rows.push_back({m.name.text(), m.protocol});
    }
  }
  doc_.table({"metric", "protocol"}, rows);
}

void ReportWriter::base_models() {
  doc_.heading(2, "Uncompressed models (L0)");
  doc_.paragraph(concat(
      "Chance is the accuracy of a uniform guess. An accuracy not ", laws::kChanceStandardErrors,
      " standard errors above it is not above chance: no law is fitted to it and it has no "
      "critical ratio, since its changes under compression cannot be told from noise."));
  std::vector<std::vector<std::string>> rows;
  for (const ExperimentResult* e : results_.base) {
    for (const MetricValue& m : e->metrics) {
      if (m.name.kind == MetricKind::kChance) continue;
      const std::optional<double> chance = chance_level(*e, m.name);
      rows.push_back({e->model, m.name.text(), with_error(m.value, m.standard_error),
                      chance ? significant(*chance) : "",
                      chance && at_chance(*e, m.name) ? "not above chance" : ""});
    }
  }
  doc_.table({"model", "metric", "value", "chance", ""}, rows);
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
  for (const std::int64_t tokens : shown) {
    std::vector<std::string> header = {"method"};
    for (const double r : results_.ratios) header.push_back("r=" + report_ratio(r));
    std::vector<std::vector<std::string>> rows;
    Plot plot{concat(file_stem(name), "_D", tokens),
              concat(name, " against r, D = ", tokens, " tokens (L0 = ", significant(l0), ")"),
              "compression ratio r", name};
    for (const std::string& method : results_.methods) {
      std::vector<std::string> row = {method};
      PlotSeries points{method, {}, PlotSeries::kPoints};
      for (const double r : results_.ratios) {
        const double v = results_.value(method, r, tokens, metric);
        row.push_back(significant(v));
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
      bool covered = true;
      try {
        law.part_for(frontier);
      } catch (const Error&) {
        covered = false;  // a per-frontier law without this frontier (left out at chance)
      }
      if (!covered) continue;
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
    }
    doc_.paragraph(concat("D = ", tokens, " tokens:"));
    doc_.table(header, rows);
    add_plot(plot, concat(name, " against r at D = ", tokens,
                          " tokens; points measured, lines the chosen laws with their 95% "
                          "prediction bands (",
                          task, ")"));
  }
}

// Methods whose ratios mean different things side by side: every law metric against the
// fraction of non-embedding parameters each compressed model lost.
void ReportWriter::metrics_against_parameters() {
  if (results_.compressed.empty()) return;
  const MetricName removed = MetricName::of(MetricKind::kFractionRemoved, "without_embeddings");
  const std::vector<MetricName> metrics = results_.law_metric_names();
  doc_.heading(2, "Quality against the fraction of parameters removed");
  doc_.paragraph(
      "Each method at each of its ratios, against the fraction of the model's non-embedding "
      "parameters it removed: the common scale on which methods of different structure "
      "compare (target_params in the study config plans them at equal fractions).");
  std::vector<std::int64_t> shown = {results_.budgets.front()};
  if (results_.budgets.size() > 1) shown.push_back(results_.budgets.back());
  for (const std::int64_t tokens : shown) {
    std::vector<std::string> header = {"method", "r", "parameters removed"};
    std::vector<std::vector<std::string>> rows;
    std::vector<Plot> plots;
    for (const MetricName& metric : metrics) {
      const std::string name = metric.text();
      header.push_back(name);
      plots.push_back({concat(file_stem(name), "_params_D", tokens),
                       concat(name, " against parameters removed, D = ", tokens, " tokens"),
                       "fraction of non-embedding parameters removed", name});
    }
    for (const std::string& method : results_.methods) {
      std::vector<PlotSeries> series(metrics.size(), {method, {}, PlotSeries::kPoints});
      for (const double r : results_.ratios) {
        const double fraction = results_.value(method, r, tokens, removed);
        if (!std::isfinite(fraction)) continue;
        std::vector<std::string> row = {method, report_ratio(r),
                                        significant(100 * fraction, 3) + "%"};
        for (std::size_t i = 0; i < metrics.size(); ++i) {
          const double v = results_.value(method, r, tokens, metrics[i]);
          row.push_back(significant(v));
          if (std::isfinite(v)) series[i].points.emplace_back(fraction, v);
        }
        rows.push_back(row);
      }
      for (std::size_t i = 0; i < metrics.size(); ++i) plots[i].series.push_back(series[i]);
    }
    std::sort(rows.begin(), rows.end(),
              [](const auto& a, const auto& b) { return std::stod(a[2]) < std::stod(b[2]); });
    doc_.paragraph(concat("D = ", tokens, " tokens:"));
    doc_.table(header, rows);
    for (std::size_t i = 0; i < metrics.size(); ++i) {
      add_plot(plots[i], concat(metrics[i].text(),
                                " against the fraction of non-embedding parameters "
                                "removed at D = ",
                                tokens, " tokens"));
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
    for (const std::int64_t d : results_.budgets) header.push_back(concat("D=", d));
    std::vector<std::vector<std::string>> rows;
    for (const std::string& method : results_.methods) {
      const double start = results_.value(method, middle, 0, metric);
      PlotSeries series{method, {}, PlotSeries::kLinesPoints};
      std::vector<std::string> row = {method};
      for (const std::int64_t d : results_.budgets) {
        const double v = results_.value(method, middle, d, metric);
        const double gain = loss ? start - v : v - start;
        row.push_back(significant(gain));
        if (std::isfinite(gain) && d > 0) series.points.emplace_back(static_cast<double>(d), gain);
      }
      rows.push_back(row);
      plot.series.push_back(series);
    }
    plot.log_x = true;
    doc_.paragraph(concat(name, ": gain from recovery at r = ", report_ratio(middle),
                          " (positive: recovery helped)."));
    doc_.table(header, rows);
    add_plot(plot, concat("recovery gain in ", name, " against D at r = ", report_ratio(middle)));
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
                        "models run in). docs/speed.md says when a measured speedup can be "
                        "trusted."));
  if (engines.size() > 1) speed_side_by_side(engines);
  for (const auto& [engine, experiments] : engines) speed_in_engine(engine, experiments);
}

void ReportWriter::speed_side_by_side(const SpeedByEngine& engines) {
  std::vector<std::string> header = {"method", "r", "setting"};
  for (const auto& engine : engines) {
    header.push_back("decode speedup, " + engine.first);
    header.push_back("ideal");
  }
  std::map<std::tuple<std::string, double, SpeedSetting>, std::vector<std::string>> rows;
  for (std::size_t i = 0; i < engines.size(); ++i) {
    for (const ExperimentResult* e : engines[i].second) {
      for (const MetricValue& m : e->metrics) {
        if (m.name.kind != MetricKind::kSpeedup || m.name.phase != SpeedPhase::kDecode) continue;
        const SpeedSetting at = m.name.setting;
        std::vector<std::string>& row = rows[{e->method, e->ratio, at}];
        row.resize(2 * engines.size(), "–");
        row[2 * i] = significant(m.value, 3);
        const MetricValue* ideal =
            e->metric(MetricName::speed(MetricKind::kIdealSpeedup, SpeedPhase::kDecode, at));
        row[2 * i + 1] = ideal ? significant(ideal->value, 3) : "–";
      }
    }
  }
  std::vector<std::vector<std::string>> table;
  for (const auto& [where, cells] : rows) {
    std::vector<std::string> row = {std::get<0>(where), report_ratio(std::get<1>(where)),
                                    std::get<2>(where).text()};
    row.insert(row.end(), cells.begin(), cells.end());
    table.push_back(std::move(row));
  }
  doc_.paragraph(
      "Decode speedup over the base in each engine, beside the ideal from the bytes a "
      "step reads (the engines' ideals differ where the GGUF file's tensor types or "
      "padding do):");
  doc_.table(header, table);
}

void ReportWriter::speed_in_engine(const std::string& engine,
                                   const std::vector<const ExperimentResult*>& experiments) {
  doc_.heading(3, "In " + engine);
  if (!experiments.front()->metrics.empty()) {
    doc_.paragraph(experiments.front()->metrics.back().protocol);
  }
  std::set<SpeedSetting> settings;
  for (const ExperimentResult* e : experiments) {
    for (const MetricValue& m : e->metrics) {
      if (m.name.is_speed()) settings.insert(m.name.setting);
    }
  }
  for (const SpeedSetting& setting : settings) {
    const std::string at = setting.text();
    std::vector<std::vector<std::string>> rows;
    Plot plot{file_stem("speedup_" + engine + "_" + at),
              concat("speedup against r in ", engine, " (", at, ")"), "compression ratio r",
              "speedup over the base (x)"};
    std::map<std::string, std::array<PlotSeries, 4>> series;
    for (const ExperimentResult* e : experiments) {
      auto get = [&](MetricKind kind, SpeedPhase phase) {
        const MetricValue* m = e->metric(MetricName::speed(kind, phase, setting));
        return m ? m->value : NAN;
      };
      const MetricValue* removed = e->metric(kFractionRemovedTotal);
      const double fraction = removed ? removed->value : NAN;
      const double prefill = get(MetricKind::kSpeedup, SpeedPhase::kPrefill);
      const double ideal_prefill = get(MetricKind::kIdealSpeedup, SpeedPhase::kPrefill);
      const double decode = get(MetricKind::kSpeedup, SpeedPhase::kDecode);
      const double ideal_decode = get(MetricKind::kIdealSpeedup, SpeedPhase::kDecode);
      rows.push_back({e->method, report_ratio(e->ratio), significant(100 * fraction, 3) + "%",
                      significant(prefill, 3), significant(ideal_prefill, 3),
                      significant(decode, 3), significant(ideal_decode, 3),
                      significant(get(MetricKind::kTokensPerSecond, SpeedPhase::kPrefill)),
                      significant(get(MetricKind::kTokensPerSecond, SpeedPhase::kDecode))});
      auto& s = series[e->method];
      s[0].title = e->method + " prefill";
      s[1].title = e->method + " prefill ideal";
      s[1].style = PlotSeries::kDashed;
      s[2].title = e->method + " decode";
      s[3].title = e->method + " decode ideal";
      s[3].style = PlotSeries::kDashed;
      s[0].points.emplace_back(e->ratio, prefill);
      s[1].points.emplace_back(e->ratio, ideal_prefill);
      s[2].points.emplace_back(e->ratio, decode);
      s[3].points.emplace_back(e->ratio, ideal_decode);
    }
    for (auto& [method, four] : series) {
      for (PlotSeries& s : four) {
        std::sort(s.points.begin(), s.points.end());
        plot.series.push_back(s);
      }
    }
    doc_.paragraph("Setting " + at + " (batch, prefill tokens), in " + engine + ":");
    doc_.table({"method", "r", "parameters removed", "prefill speedup", "ideal", "decode speedup",
                "ideal", "prefill tok/s", "decode tok/s"},
               rows);
    add_plot(plot, concat("measured speedups in ", engine,
                          " (solid) and the shapes' ideal (dashed), ", at));
  }
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
