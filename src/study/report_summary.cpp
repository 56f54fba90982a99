// The report's summary: what a user came for, on one screen, each answer linking to the section
// that holds its evidence — what was run, the chosen laws and how well they predict, the
// critical ratios, the paper's findings, the method that loses least at each size, the speed —
// beside the plot that says most: quality against the parameters removed.
#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "core/format.h"
#include "study/report_writer.h"
#include "study/size_comparison.h"

namespace claw::study {
namespace {

// Colours that tell the methods apart in colour and in grey; a method's law takes its colour.
constexpr const char* kMethodColors[] = {"#1b9e77", "#d95f02", "#7570b3", "#e7298a",
                                         "#66a61e", "#e6ab02", "#a6761d", "#666666"};

std::string link(const std::string& text, const std::string& heading) {
  return "[" + text + "](#" + ReportDocument::anchor(heading) + ")";
}

std::string percent(double fraction) {
  return significant(100 * fraction, 3) + "%";
}

// What a held-out criterion holds out, in words.
std::string held_out_words(const std::string& by) {
  if (by == "rolling") return "rolling-extrapolation";
  if (by == "ratio") return "leave-one-ratio-out";
  if (by == "tokens") return "leave-one-D-out";
  return "leave-one-frontier-out";
}

std::string winner_text(const SizeWinner& w) {
  return w.method + " " + table_number(w.value) + (w.tied_with.empty() ? "" : " ≈ " + w.tied_with);
}

}  // namespace

Plot ReportWriter::quality_against_removed(const MetricName& metric, std::int64_t tokens) const {
  const std::string name = metric.text();
  Plot plot{concat(file_stem(name), "_params_D", tokens),
            concat(name, " against parameters removed, D = ", tokens, " tokens"),
            "fraction of non-embedding parameters removed", name};
  const ExperimentResult* base = results_.base_with(metric);
  const double l0 = base != nullptr ? base->metric(metric)->value : NAN;
  const std::string frontier = base != nullptr ? base->model + "/" + metric.subject : "";
  for (std::size_t i = 0; i < results_.methods.size(); ++i) {
    const std::string& method = results_.methods[i];
    const char* const color = kMethodColors[i % std::size(kMethodColors)];
    PlotSeries points{method, {}, PlotSeries::kPoints};
    points.color = color;
    for (const SizePoint& p : points_by_size(results_, method, tokens, metric)) {
      points.points.emplace_back(p.fraction, p.measured.value);
    }
    plot.series.push_back(points);
    const StudyFit* fit = fit_covering(metric.kind_text(), method);
    if (fit == nullptr || !std::isfinite(l0) || !fit->chosen()->law->covers(frontier)) continue;
    // The law is a curve in r; each of the method's ratios has its size, and between two of
    // them the size is taken as linear in r.
    std::vector<std::pair<double, double>> sizes;  // (r, fraction)
    for (const double r : results_.ratios) {
      const double f = results_.value(method, r, tokens, kFractionRemovedWithoutEmbeddings);
      if (std::isfinite(f)) sizes.emplace_back(r, f);
    }
    PlotSeries line{method + " law", {}, PlotSeries::kLines};
    line.color = color;
    const auto add = [&](double r, double f) {
      line.points.emplace_back(
          f, laws::predict(*fit->chosen()->law, frontier, l0, r, static_cast<double>(tokens))
                 .estimate);
    };
    for (std::size_t k = 0; k + 1 < sizes.size(); ++k) {
      for (int step = 0; step < 8; ++step) {
        const double t = step / 8.0;
        add(sizes[k].first + t * (sizes[k + 1].first - sizes[k].first),
            sizes[k].second + t * (sizes[k + 1].second - sizes[k].second));
      }
    }
    if (!sizes.empty()) add(sizes.back().first, sizes.back().second);
    plot.series.push_back(line);
  }
  return plot;
}

void ReportWriter::summary(const std::vector<Finding>& found) {
  doc_.heading(2, "Summary");
  std::set<std::string> models;
  std::map<std::string, int> kinds;
  double seconds = 0;
  for (const ExperimentResult& e : results_.all) {
    if (e.kind != "speed") models.insert(e.model);
    ++kinds[e.kind];
    seconds += e.seconds;
  }
  std::vector<std::string> items = {concat(
      "**Run**: ", models.size(), models.size() == 1 ? " model × " : " models × ",
      results_.methods.size(), " methods × ", results_.ratios.size(), " ratios × ",
      results_.budgets.size(), " recovery budgets D = ", join(results_.budgets), " tokens",
      results_.objectives.size() > 1 ? concat(" × ", results_.objectives.size(), " objectives (",
                                              join(results_.objectives,
                                                   [](recover::Objective o) {
                                                     return std::string(recover::objective_name(o));
                                                   }),
                                              ")")
                                     : std::string(),
      ": ", results_.all.size(), " experiments (", kinds["base"], " base, ", kinds["compressed"],
      " compressed, ", kinds["speed"], " speed), ", significant(seconds / 60, 3),
      " minutes of compute. ", link("What was run", "What was run"))};
  for (std::string text :
       {summary_laws(), summary_critical(), summary_findings(found), summary_distillation(found)}) {
    if (!text.empty()) items.push_back(std::move(text));
  }
  const std::vector<MetricName> metrics = results_.law_metric_names();
  if (!metrics.empty() && results_.methods.size() > 1) {
    const MetricName& first = metrics.front();
    const std::vector<SizeWinner> winners =
        best_method_by_size(results_, first, results_.budgets.front());
    if (!winners.empty()) {
      items.push_back(concat("**", first.lower_is_better() ? "Lowest " : "Highest ", first.text(),
                             " at equal size** (D = ", results_.budgets.front(), "): ",
                             join(winners,
                                  [](const SizeWinner& w) {
                                    return percent(w.fraction) + " " + w.method +
                                           (w.tied_with.empty() ? "" : " ≈ " + w.tied_with);
                                  }),
                             " (≈: within noise of the next). ",
                             link("Every metric at each size", "Least loss at each size")));
    }
  }
  if (std::string speed = summary_speed(); !speed.empty()) items.push_back(speed);

  if (!metrics.empty()) {
    const MetricName& first = metrics.front();
    Plot plot = quality_against_removed(first, results_.budgets.front());
    const std::string caption = concat(
        "Each method's measurements (points) and its family's law (line): at equal size, "
        "the ",
        first.lower_is_better() ? "lower" : "higher", " is the better method. ",
        link("More", kQualityAgainstRemoved));
    if (std::optional<Figure> figure = render(std::move(plot), caption)) {
      doc_.lead(std::move(items), *std::move(figure));
    } else {
      doc_.list(std::move(items));
    }
  } else {
    doc_.list(std::move(items));
  }
  critical_at_a_glance();
  least_loss_by_size();
}

std::string ReportWriter::summary_laws() const {
  std::vector<std::string> sentences;
  std::set<std::string> done;
  for (const StudyFit& fit : fits_) {
    if (done.count(fit.metric) > 0) continue;
    // The pooled fit where there is one, else each metric's first family.
    const StudyFit* shown = fit_for(fit.metric, kAllMethods);
    if (shown == nullptr) shown = &fit;
    done.insert(fit.metric);
    const laws::Candidate* chosen = shown->chosen();
    if (chosen == nullptr) {
      sentences.push_back(concat(
          "**", fit.metric, "**: no law (",
          shown->observations.empty() ? "no observations above chance" : shown->selection.reason,
          ")"));
      continue;
    }
    const laws::FittedLaw& law = *chosen->law;
    const laws::HeldOutQuality* q =
        laws::find_held_out(chosen->held_out, shown->selection.criterion);
    sentences.push_back(concat(
        "**", fit.metric, "** (", shown->family, ", ", shown->observations.size(),
        " experiments): `", chosen->spec.name(), "` predicts what it was not fitted on with a ",
        held_out_words(shown->selection.criterion), " MAPE of ", laws::mape_text(q),
        q != nullptr && q->complete() ? " ± " + fixed(q->errors.mape_std_error, 2) + "%" : "", "; ",
        significant(100 * laws::prediction_band_coverage(law, shown->observations), 3),
        "% of them lie inside its 95% band"));
  }
  if (sentences.empty()) return "";
  std::string text = "**Laws**: ";
  for (const std::string& sentence : sentences) text += sentence + "; ";
  text.resize(text.size() - 2);
  return text + ". " + link("Compression laws", "Compression laws");
}

std::string ReportWriter::summary_critical() const {
  constexpr double kSigma = 0.9;
  const std::int64_t largest = results_.budgets.back();
  std::vector<std::pair<std::string, std::vector<std::string>>> frontiers;
  for (const CriticalRow& row : critical_) {
    const std::string family =
        fit_for(row.metric, kAllMethods) != nullptr ? kAllMethods : row.family;
    if (row.family != family || row.sigma != kSigma || !row.tokens) continue;
    if (row.objective != recover::Objective::kNextToken) continue;  // in the comparison
    if (*row.tokens != 0 && *row.tokens != static_cast<double>(largest)) continue;
    const std::string where = row.metric + " on " + row.frontier;
    if (frontiers.empty() || frontiers.back().first != where) frontiers.push_back({where, {}});
    frontiers.back().second.push_back(concat(critical_cell(row.critical), " at D = ", *row.tokens));
  }
  if (frontiers.empty()) return "";
  std::string text =
      concat("**Critical ratio r* at σ = ", kSigma,
             "** (r* [95% interval]; a loss up to L0/σ, an accuracy down to σ·L0): ");
  for (const auto& [where, cells] : frontiers) {
    text += where + " " + join(cells) + "; ";
  }
  text.resize(text.size() - 2);
  return text + ". " + link("Every σ, family and D", "Critical compression ratios");
}

std::string ReportWriter::summary_distillation(const std::vector<Finding>& found) const {
  std::vector<std::string> answers;
  for (const Finding& f : found) {
    if (f.paper == kDistillationClaim)
      answers.push_back(concat(f.topic, ": ", f.here, ", ", f.verdict));
  }
  if (answers.empty()) return "";
  return concat("**Does distillation recover more per token than next-token training?** ",
                join(answers), ". ", link("Each (method, r, D)", kObjectivesSection));
}

std::string ReportWriter::summary_findings(const std::vector<Finding>& found) const {
  if (std::none_of(found.begin(), found.end(),
                   [](const Finding& f) { return f.claimed_by == kThePaper; })) {
    return "";
  }
  std::map<std::string, int> count;
  // The claims the data contradicts, each with how many of its tests do.
  std::vector<std::pair<std::string, int>> disagreeing;
  std::map<std::string, int> tests;
  for (const Finding& f : found) {
    if (f.claimed_by != kThePaper) continue;  // each other claim has a line of its own
    ++count[f.verdict];
    ++tests[f.paper];
    if (f.verdict != kDisagrees) continue;
    auto slot = std::find_if(disagreeing.begin(), disagreeing.end(),
                             [&](const auto& d) { return d.first == f.paper; });
    if (slot == disagreeing.end()) slot = disagreeing.insert(disagreeing.end(), {f.paper, 0});
    ++slot->second;
  }
  std::string text = concat("**The paper's findings**: ", count[kAgrees], " agree, ",
                            count[kDisagrees], " disagree, ", count[kCannotTell], " cannot tell");
  if (!disagreeing.empty()) {
    text += "; the data disagrees that " + join(disagreeing, [&](const auto& d) {
              return concat("“", d.first, "” (", d.second, " of ", tests[d.first], ")");
            });
  }
  return text + ". " + link("Each with its interval", "The paper's findings, here");
}

std::string ReportWriter::summary_speed() const {
  if (results_.speed.empty()) return "";
  double largest = 0;
  for (const ExperimentResult* e : results_.speed) largest = std::max(largest, e->ratio);
  std::vector<std::string> engines;
  std::string setting;
  for (const auto& [engine, experiments] : results_.speed_by_engine()) {
    std::vector<std::string> methods;
    for (const ExperimentResult* e : experiments) {
      if (e->ratio != largest) continue;
      for (const MetricValue& m : e->metrics) {
        if (m.name.kind != MetricKind::kSpeedup || m.name.phase != SpeedPhase::kDecode) continue;
        if (setting.empty()) setting = m.name.setting.text();
        if (m.name.setting.text() != setting) continue;
        const MetricValue* ideal = e->metric(
            MetricName::speed(MetricKind::kIdealSpeedup, SpeedPhase::kDecode, m.name.setting));
        methods.push_back(concat(e->method, " ", table_number(m.value, 3), "× (ideal ",
                                 ideal != nullptr ? table_number(ideal->value, 3) : "–", "×)"));
      }
    }
    if (!methods.empty()) {
      engines.push_back(concat("in ", engine, ", ", join(methods)));
    }
  }
  if (engines.empty()) return "";
  return concat("**Decode speedup at r = ", report_ratio(largest), "** (", setting, ", on ",
                results_.speed.front()->model, "'s shapes): ", join(engines), ". ",
                link("Speed against r", "Speed against r"));
}

void ReportWriter::critical_at_a_glance() {
  if (critical_.empty()) return;
  const std::int64_t largest = results_.budgets.back();
  std::vector<std::string> header = {"metric", "frontier", "methods"};
  for (const double sigma : kCriticalSigmas) {
    header.push_back(concat("σ=", sigma, ", D=0"));
    if (largest > 0) header.push_back(concat("σ=", sigma, ", D=", largest));
  }
  std::map<std::tuple<std::string, std::string, std::string>, std::vector<std::string>> rows;
  std::vector<std::tuple<std::string, std::string, std::string>> order;
  for (const CriticalRow& row : critical_) {
    if (!row.tokens || (*row.tokens != 0 && *row.tokens != static_cast<double>(largest))) continue;
    // Distillation's are beside next-token's in its own section.
    if (row.objective != recover::Objective::kNextToken) continue;
    const auto key = std::make_tuple(row.metric, row.frontier, row.family);
    if (rows.count(key) == 0) order.push_back(key);
    rows[key].push_back(critical_cell(row.critical));
  }
  std::vector<std::vector<std::string>> table;
  for (const auto& key : order) {
    std::vector<std::string> row = {std::get<0>(key), std::get<1>(key), std::get<2>(key)};
    const std::vector<std::string>& cells = rows[key];
    row.insert(row.end(), cells.begin(), cells.end());
    table.push_back(std::move(row));
  }
  doc_.paragraph(
      concat("Critical ratios r* [95% interval] at D = 0 and at the largest D, per "
             "method family (",
             link("D = ∞, targets and reasons", "Critical compression ratios"), "):"));
  doc_.table(header, table);
}

void ReportWriter::least_loss_by_size() {
  if (results_.methods.size() < 2) return;
  std::vector<std::int64_t> shown = {results_.budgets.front()};
  if (results_.budgets.size() > 1) shown.push_back(results_.budgets.back());
  std::vector<std::string> header = {"parameters removed"};
  std::map<double, std::vector<std::string>> rows;
  std::size_t columns = 0;
  for (const MetricName& metric : results_.law_metric_names()) {
    const ExperimentResult* base = results_.base_with(metric);
    if (base == nullptr || at_chance(*base, metric)) continue;  // a guess has no best method
    for (const std::int64_t tokens : shown) {
      header.push_back(concat(metric.text(), ", D=", tokens));
      for (const SizeWinner& w : best_method_by_size(results_, metric, tokens)) {
        std::vector<std::string>& row = rows[w.fraction];
        row.resize(columns, "–");
        row.push_back(winner_text(w));
      }
      ++columns;
    }
  }
  if (rows.empty()) return;
  std::vector<std::vector<std::string>> table;
  for (auto& [fraction, cells] : rows) {
    cells.resize(columns, "–");
    std::vector<std::string> row = {percent(fraction)};
    row.insert(row.end(), cells.begin(), cells.end());
    table.push_back(std::move(row));
  }
  doc_.heading(3, "Least loss at each size");
  doc_.paragraph(
      "The best method at each fraction of non-embedding parameters removed, per metric above "
      "chance, each method interpolated linearly between its measured sizes (never beyond); "
      "≈ names a runner-up within two standard errors.");
  doc_.table(header, table);
}

}  // namespace claw::study
