#include "study/report.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/format.h"
#include "core/log.h"
#include "study/evaluation.h"
#include "study/plot.h"
#include "study/report_document.h"
#include "study/study_laws.h"

namespace claw::study {
namespace fs = std::filesystem;
namespace {

std::string number(double value, int digits = 4) {
  if (!std::isfinite(value)) return std::isnan(value) ? "–" : (value > 0 ? "∞" : "−∞");
  char text[32];
  std::snprintf(text, sizeof text, "%.*g", digits, value);
  return text;
}

std::string with_error(double value, std::optional<double> error) {
  return error ? number(value) + " ± " + number(*error, 2) : number(value);
}

std::string ratio_text(double r) {
  return number(r, 3);
}

// The experiments of one kind, and lookups over them.
struct Results {
  std::vector<ExperimentResult> all;
  std::vector<const ExperimentResult*> base, compressed, speed;
  std::vector<std::string> methods;  // in order of first appearance
  std::vector<double> ratios;
  std::vector<std::int64_t> budgets;

  explicit Results(std::vector<ExperimentResult> results) : all(std::move(results)) {
    std::set<double> r;
    std::set<std::int64_t> d;
    for (const ExperimentResult& e : all) {
      if (e.kind == "base") base.push_back(&e);
      if (e.kind == "speed") speed.push_back(&e);
      if (e.kind != "compressed") continue;
      compressed.push_back(&e);
      if (std::find(methods.begin(), methods.end(), e.method) == methods.end()) {
        methods.push_back(e.method);
      }
      r.insert(e.ratio);
      d.insert(e.tokens);
    }
    ratios.assign(r.begin(), r.end());
    budgets.assign(d.begin(), d.end());
  }

  // The metric's value for `method` at (r, D), averaged over seeds and models; NaN when absent.
  double value(const std::string& method, double ratio, std::int64_t tokens,
               const std::string& metric) const {
    double sum = 0;
    int n = 0;
    for (const ExperimentResult* e : compressed) {
      if (e->method != method || e->ratio != ratio || e->tokens != tokens) continue;
      if (const MetricValue* m = e->metric(metric)) {
        sum += m->value;
        ++n;
      }
    }
    return n > 0 ? sum / n : NAN;
  }

  // Every metric name the base experiments measured, in their order.
  std::vector<std::string> base_metrics() const {
    std::vector<std::string> names;
    for (const ExperimentResult* e : base) {
      for (const MetricValue& m : e->metrics) {
        if (std::find(names.begin(), names.end(), m.name) == names.end()) names.push_back(m.name);
      }
    }
    return names;
  }
};

class ReportWriter {
 public:
  ReportWriter(const Store& store, fs::path directory)
      : store_(store), directory_(std::move(directory)), results_(store.experiments()) {
    observations_ = store_observations(results_.all, store.path().string());
    fits_ = fit_study_laws(observations_);
  }

  // The report directory appears whole or not at all: it is drawn in a staging directory that
  // then takes the place of the old report.
  fs::path write() {
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
    for (const std::string& metric : law_metric_names()) metric_against_ratio(metric);
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

 private:
  std::string html_with_title(const std::string& title) {
    std::string html = doc_.html(title);
    const std::string marker = "<body>\n";
    html.insert(html.find(marker) + marker.size(), "<h1>" + title + "</h1>\n");
    return html;
  }

  // The loss metrics (one per frontier), then the extrinsic ones: the zero-shot average and
  // each group's accuracy.
  std::vector<std::string> law_metric_names() const {
    std::vector<std::string> names;
    for (const std::string& name : results_.base_metrics()) {
      if (name.rfind("loss/", 0) == 0 || name.rfind(kAccuracyPrefix, 0) == 0) {
        names.push_back(name);
      }
    }
    return names;
  }

  // Renders `plot` without its empty series; a plot with no point at all is left out.
  void add_plot(Plot plot, const std::string& caption) {
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

  const StudyFit* fit_for(const std::string& metric, const std::string& family) const {
    for (const StudyFit& f : fits_) {
      if (f.metric == metric && f.family == family && f.law) return &f;
    }
    return nullptr;
  }

  double base_value(const std::string& metric) const {
    for (const ExperimentResult* e : results_.base) {
      if (const MetricValue* m = e->metric(metric)) return m->value;
    }
    return NAN;
  }

  void summary() {
    std::map<std::string, int> kinds;
    double seconds = 0;
    for (const ExperimentResult& e : results_.all) {
      ++kinds[e.kind];
      seconds += e.seconds;
    }
    doc_.paragraph(concat("Store `", store_.path().string(), "`, created ",
                          store_.meta("created").value_or("?"), ". ", results_.all.size(),
                          " experiments: ", kinds["base"], " base, ", kinds["compressed"],
                          " compressed, ", kinds["speed"], " speed; ", number(seconds / 60, 3),
                          " minutes of compute. Methods: ", join(results_.methods),
                          "; ratios r: ", join_numbers(results_.ratios),
                          "; recovery budgets D (tokens): ", join_numbers(results_.budgets), "."));
    doc_.paragraph(
        "r is each method's native ratio: the fraction of every layer's FFN channels removed "
        "(random, magnitude, PruneNet) or of the hidden dimension (SliceGPT). D = 0 is the "
        "compressed model without recovery. The laws are fitted with D in millions of tokens.");
  }

  template <typename T>
  static std::string join_numbers(const std::vector<T>& items) {
    return join(items, [](const T& v) { return number(static_cast<double>(v), 6); });
  }

  void protocols() {
    doc_.heading(2, "Protocols");
    std::vector<std::vector<std::string>> rows;
    std::set<std::string> seen;
    for (const ExperimentResult& e : results_.all) {
      for (const MetricValue& m : e.metrics) {
        if (seen.insert(m.name).second) rows.push_back({m.name, m.protocol});
      }
    }
    doc_.table({"metric", "protocol"}, rows);
  }

  void base_models() {
    doc_.heading(2, "Uncompressed models (L0)");
    doc_.paragraph(
        concat("Chance is the accuracy of a uniform guess. An accuracy less than ", kChanceSigmas,
               " standard errors above it is not above chance: no law is fitted to it, since its "
               "changes under compression are noise."));
    std::vector<std::vector<std::string>> rows;
    for (const ExperimentResult* e : results_.base) {
      for (const MetricValue& m : e->metrics) {
        if (m.name.rfind("chance/", 0) == 0) continue;
        const std::optional<double> chance = chance_level(*e, m.name);
        rows.push_back({e->model, m.name, with_error(m.value, m.standard_error),
                        chance ? number(*chance) : "",
                        chance && at_chance(*e, m.name) ? "not above chance" : ""});
      }
    }
    doc_.table({"model", "metric", "value", "chance", ""}, rows);
  }

  // Points per method at D = 0 and at the largest D, with each family's law at the same D.
  void metric_against_ratio(const std::string& metric) {
    const std::string kind = metric.substr(0, metric.find('/'));
    const std::string task = metric.substr(metric.find('/') + 1);
    doc_.heading(2, metric + " against r");
    const double l0 = base_value(metric);
    std::vector<std::int64_t> shown = {results_.budgets.front()};
    if (results_.budgets.size() > 1) shown.push_back(results_.budgets.back());
    for (const std::int64_t tokens : shown) {
      std::vector<std::string> header = {"method"};
      for (const double r : results_.ratios) header.push_back("r=" + ratio_text(r));
      std::vector<std::vector<std::string>> rows;
      Plot plot{concat(file_stem(metric), "_D", tokens),
                concat(metric, " against r, D = ", tokens, " tokens (L0 = ", number(l0), ")"),
                "compression ratio r", metric};
      for (const std::string& method : results_.methods) {
        std::vector<std::string> row = {method};
        PlotSeries points{method, {}, PlotSeries::kPoints};
        for (const double r : results_.ratios) {
          const double v = results_.value(method, r, tokens, metric);
          row.push_back(number(v));
          if (std::isfinite(v)) points.points.emplace_back(r, v);
        }
        rows.push_back(row);
        plot.series.push_back(points);
      }
      for (const char* family : {"calibration-free", "calibration-based"}) {
        const StudyFit* fit = fit_for(kind, family);
        if (fit == nullptr || !std::isfinite(l0)) continue;
        PlotSeries curve{concat("law, ", family), {}, PlotSeries::kDashed};
        for (int i = 0; i <= 50; ++i) {
          const double r = 0.95 * i / 50.0;
          curve.points.emplace_back(
              r, laws::predict(*fit->law, l0, r, static_cast<double>(tokens)).estimate);
        }
        plot.series.push_back(curve);
      }
      doc_.paragraph(concat("D = ", tokens, " tokens:"));
      doc_.table(header, rows);
      add_plot(plot, concat(metric, " against r at D = ", tokens,
                            " tokens; points measured, dashed lines the fitted laws (", task, ")"));
    }
  }

  static std::string file_stem(const std::string& metric) {
    std::string out;
    for (const char c : metric) out += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
    return out;
  }

  void recovery() {
    if (results_.budgets.size() < 2) return;
    doc_.heading(2, "Recovery: gain against D");
    const double middle = results_.ratios[results_.ratios.size() / 2];
    for (const std::string& metric : law_metric_names()) {
      const bool loss = metric.rfind("loss/", 0) == 0;
      Plot plot{"recovery_" + file_stem(metric),
                concat(metric, loss ? " removed" : " regained",
                       " by recovery at r = ", ratio_text(middle)),
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
          row.push_back(number(gain));
          if (std::isfinite(gain) && d > 0)
            series.points.emplace_back(static_cast<double>(d), gain);
        }
        rows.push_back(row);
        plot.series.push_back(series);
      }
      plot.log_x = true;
      doc_.paragraph(concat(metric, ": gain from recovery at r = ", ratio_text(middle),
                            " (positive: recovery helped)."));
      doc_.table(header, rows);
      add_plot(plot, concat("recovery gain in ", metric, " against D at r = ", ratio_text(middle)));
    }
  }

  static std::string held_out_text(const StudyFit& fit, const std::string& by) {
    for (const laws::HeldOutQuality& q : fit.held_out) {
      if (q.by == by && q.predicted > 0) {
        return concat(number(q.rmse, 3), " (", number(q.mape, 3), "%)");
      }
    }
    return "–";
  }

  void laws_section() {
    doc_.heading(2, "Compression laws");
    doc_.paragraph(
        "OLS on log L = α·log L0 + β·log(1+r) + γ·log(1+1/(D+1)), D in millions of tokens, no "
        "intercept (R² uncentred, as statsmodels reports it without a constant). loss pools "
        "every loss frontier (model × dataset); accuracy pools the extrinsic frontiers (the "
        "zero-shot average, each task group) whose base model is above chance. Held-out: "
        "RMSE (MAPE) of refits that leave one ratio, or one budget D, out.");
    std::vector<std::vector<std::string>> rows;
    for (const StudyFit& f : fits_) {
      if (!f.law) {
        rows.push_back({f.metric, f.family, std::to_string(f.observations.size()), "–", "–", "–",
                        "–", "–", "–", "–", "–", "not fitted: " + f.error});
        continue;
      }
      const laws::OlsFit& o = f.law->fit;
      // In order: [intercept,] α, β[, γ].
      const std::size_t first = f.law->options.intercept ? 1 : 0;
      auto coefficient = [&](std::size_t offset) -> std::string {
        if (first + offset >= o.coefficients.size()) return "–";
        const laws::Coefficient& c = o.coefficients[first + offset];
        return number(c.estimate) + " ± " + number(c.std_error, 2);
      };
      rows.push_back({f.metric, f.family, std::to_string(o.observations), coefficient(0),
                      coefficient(1), coefficient(2), number(o.r_squared), number(o.adj_r_squared),
                      number(o.f_value), held_out_text(f, "ratio"), held_out_text(f, "tokens"),
                      join(f.law->notes)});
    }
    doc_.table({"metric", "methods", "n", "α", "β", "γ", "R²", "adj. R²", "F", "held-out r",
                "held-out D", "notes"},
               rows);
    for (const char* metric : {"loss", "accuracy"}) {
      Plot plot{concat("observed_predicted_", metric),
                concat(metric, ": observed against the law's prediction"), "predicted", "observed"};
      double low = INFINITY, high = -INFINITY;
      for (const StudyFit& f : fits_) {
        if (f.metric != metric || !f.law || f.family == "all methods") continue;
        PlotSeries s{f.family, {}, PlotSeries::kPoints};
        for (const laws::Observation& o : f.observations) {
          const double predicted = laws::predict(*f.law, o.base_value, o.ratio, o.tokens).estimate;
          s.points.emplace_back(predicted, o.value);
          low = std::min({low, predicted, o.value});
          high = std::max({high, predicted, o.value});
        }
        plot.series.push_back(s);
      }
      if (plot.series.empty()) continue;
      plot.series.push_back(
          {"observed = predicted", {{low, low}, {high, high}}, PlotSeries::kDashed});
      add_plot(plot, concat(metric,
                            ": each experiment against its family's law; held-out "
                            "errors in the table above"));
    }
  }

  void critical() {
    const std::vector<CriticalRow> rows = critical_ratios(fits_);
    if (rows.empty()) return;
    doc_.heading(2, "Critical compression ratios");
    doc_.paragraph(
        "r* is where the law says performance falls to σ of the uncompressed model's: an "
        "accuracy to σ·L0, a loss up to L0/σ. D = ∞ is unlimited recovery.");
    std::vector<std::vector<std::string>> table;
    std::map<std::string, Plot> plots;
    for (const CriticalRow& row : rows) {
      const std::string d = row.tokens ? number(*row.tokens, 6) : "∞";
      table.push_back(
          {row.metric, row.family, row.frontier, number(row.sigma, 3), d, number(row.target),
           row.critical.in_range ? number(row.critical.ratio, 3) : row.critical.meaning});
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
      if (row.critical.in_range) series->points.emplace_back(row.sigma, row.critical.ratio);
    }
    doc_.table({"metric", "methods", "frontier", "σ", "D", "target", "r*"}, table);
    for (const auto& [key, plot] : plots) {
      add_plot(plot, plot.title + " against σ; a missing point is out of [0, 1)");
    }
  }

  void speed() {
    if (results_.speed.empty()) return;
    doc_.heading(2, "Speed against r");
    std::set<std::string> settings;
    for (const ExperimentResult* e : results_.speed) {
      for (const MetricValue& m : e->metrics) {
        if (m.name.rfind("prefill_speedup/", 0) == 0) settings.insert(m.name.substr(16));
      }
    }
    doc_.paragraph(concat("On ", results_.speed.front()->model,
                          "'s shapes, randomly initialised: speed depends on the shapes only. "
                          "random stands for every FFN-pruning method. ",
                          results_.speed.front()->metrics.empty()
                              ? ""
                              : results_.speed.front()->metrics.back().protocol));
    for (const std::string& at : settings) {
      std::vector<std::vector<std::string>> rows;
      Plot plot{file_stem("speedup_" + at), concat("speedup against r (", at, ")"),
                "compression ratio r", "speedup over the base (x)"};
      std::map<std::string, std::array<PlotSeries, 4>> series;
      for (const ExperimentResult* e : results_.speed) {
        auto get = [&](const std::string& name) {
          const MetricValue* m = e->metric(name + "/" + at);
          return m ? m->value : NAN;
        };
        const double fraction =
            e->metric("fraction_removed/total") ? e->metric("fraction_removed/total")->value : NAN;
        rows.push_back({e->method, ratio_text(e->ratio), number(100 * fraction, 3) + "%",
                        number(get("prefill_speedup"), 3), number(get("ideal_prefill_speedup"), 3),
                        number(get("decode_speedup"), 3), number(get("ideal_decode_speedup"), 3),
                        number(get("prefill_tokens_per_s")), number(get("decode_tokens_per_s"))});
        auto& s = series[e->method];
        s[0].title = e->method + " prefill";
        s[1].title = e->method + " prefill ideal";
        s[1].style = PlotSeries::kDashed;
        s[2].title = e->method + " decode";
        s[3].title = e->method + " decode ideal";
        s[3].style = PlotSeries::kDashed;
        s[0].points.emplace_back(e->ratio, get("prefill_speedup"));
        s[1].points.emplace_back(e->ratio, get("ideal_prefill_speedup"));
        s[2].points.emplace_back(e->ratio, get("decode_speedup"));
        s[3].points.emplace_back(e->ratio, get("ideal_decode_speedup"));
      }
      for (auto& [method, four] : series) {
        for (PlotSeries& s : four) {
          std::sort(s.points.begin(), s.points.end());
          plot.series.push_back(s);
        }
      }
      doc_.paragraph("Setting " + at + " (batch, prefill tokens):");
      doc_.table({"method", "r", "parameters removed", "prefill speedup", "ideal", "decode speedup",
                  "ideal", "prefill tok/s", "decode tok/s"},
                 rows);
      add_plot(plot, "measured speedups (solid) and the shapes' ideal (dashed), " + at);
    }
  }

  // The paper's qualitative findings, tested on this study's numbers.
  void findings() {
    doc_.heading(2, "The paper's findings, here");
    std::vector<std::vector<std::string>> rows;
    for (const std::string& metric : law_metric_names()) {
      const bool loss = metric.rfind("loss/", 0) == 0;
      for (const std::string& method : results_.methods) {
        // Shape of L/L0 − 1 against r at D = 0: the curvature of a quadratic through it.
        std::vector<std::pair<double, double>> points;
        for (const double r : results_.ratios) {
          const double v = results_.value(method, r, 0, metric);
          if (std::isfinite(v)) points.emplace_back(r, v);
        }
        if (points.size() < 3) continue;
        const CurveShape curve = curve_shape(points);
        double gain = NAN;
        if (results_.budgets.size() > 1) {
          double sum = 0;
          int n = 0;
          for (const double r : results_.ratios) {
            const double before = results_.value(method, r, 0, metric);
            const double after = results_.value(method, r, results_.budgets.back(), metric);
            if (std::isfinite(before) && std::isfinite(after)) {
              sum += loss ? before - after : after - before;
              ++n;
            }
          }
          if (n > 0) gain = sum / n;
        }
        rows.push_back(
            {metric, method, number(curve.linear_r_squared, 3),
             curve.mean_second_derivative > 0 ? "convex (faster than linear)" : "concave or linear",
             number(gain)});
      }
    }
    doc_.paragraph(
        "Per method at D = 0: R² of a straight line through the metric against r, and whether "
        "a quadratic through it bends up (the paper: loss rises faster than linearly, "
        "accuracy falls roughly linearly). Mean gain: the metric improved by the largest "
        "recovery budget, averaged over ratios (the paper: recovery helps, more so for the "
        "calibration-free methods).");
    doc_.table({"metric", "method", "linear R²", "shape", "mean recovery gain"}, rows);
  }

  void failures() {
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

  Json laws_json() const {
    Json out = Json::array();
    for (const StudyFit& f : fits_) {
      Json entry = {
          {"metric", f.metric}, {"family", f.family}, {"observations", f.observations.size()}};
      if (f.law) {
        entry["law"] = f.law->json();
        entry["held_out"] = Json::array();
        for (const laws::HeldOutQuality& q : f.held_out) entry["held_out"].push_back(q.json());
      } else {
        entry["error"] = f.error;
      }
      out.push_back(entry);
    }
    return out;
  }

  const Store& store_;
  fs::path directory_;
  fs::path staging_;  // where write() draws the report before it takes directory_'s place
  Results results_;
  std::vector<laws::Observation> observations_;
  std::vector<StudyFit> fits_;
  ReportDocument doc_;
  bool plots_missing_ = false;
};

}  // namespace

fs::path write_report(const Store& store, const fs::path& directory) {
  ReportWriter writer(store, directory);
  return writer.write();
}

}  // namespace claw::study
