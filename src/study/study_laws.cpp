#include "study/study_laws.h"

#include <algorithm>
#include <map>
#include <set>

#include "compress/method_registry.h"
#include "core/error.h"
#include "laws/chance.h"

namespace claw::study {
std::optional<double> chance_level(const ExperimentResult& result, const MetricName& metric) {
  const MetricValue* chance = result.metric(metric.chance());
  return chance ? std::optional(chance->value) : std::nullopt;
}

bool at_chance(const ExperimentResult& base, const MetricName& metric) {
  const MetricValue* value = base.metric(metric);
  if (value == nullptr) return false;
  laws::Observation o;
  o.base_value = value->value;
  o.base_std_error = value->standard_error;
  o.chance = chance_level(base, metric);
  return laws::base_at_chance(o);
}

std::string method_family(const std::string& method) {
  const compress::MethodInfo* info = compress::find_method(method);
  // A store may hold methods this build does not know; they are fitted on their own.
  return info != nullptr ? compress::family_name(info->family) : concat("method ", method);
}

std::vector<laws::Observation> store_observations(const std::vector<ExperimentResult>& results,
                                                  const std::string& source) {
  // The base experiment of each model and evaluation.
  std::map<std::pair<std::string, std::string>, const ExperimentResult*> bases;
  for (const ExperimentResult& r : results) {
    if (r.kind == "base") bases[{r.model, r.config.at("evaluation").dump()}] = &r;
  }
  std::vector<laws::Observation> out;
  std::int64_t row = 0;
  for (const ExperimentResult& r : results) {
    ++row;
    if (r.kind != "compressed") continue;
    const auto base = bases.find({r.model, r.config.at("evaluation").dump()});
    if (base == bases.end()) continue;  // L0 unknown: the base run failed or is elsewhere
    for (const MetricValue& m : r.metrics) {
      if (!m.name.is_quality()) continue;
      const MetricValue* base_metric = base->second->metric(m.name);
      if (base_metric == nullptr) continue;
      laws::Observation o;
      o.model = r.model;
      o.task = m.name.subject;
      o.method = r.method;
      o.metric = m.name.kind_text();
      o.ratio = r.ratio;
      o.tokens = static_cast<double>(r.tokens);
      o.objective = recover::objective_name(r.objective());
      o.value = m.value;
      o.base_value = base_metric->value;
      o.chance = chance_level(*base->second, m.name);
      o.base_std_error = base_metric->standard_error;
      o.line = row;
      o.source = source;
      out.push_back(std::move(o));
    }
  }
  return out;
}

namespace {

recover::Objective objective_of(const laws::Observation& o) {
  return recover::recorded_objective(o.objective, o.where());
}

}  // namespace

std::string group_name(const std::string& family, recover::Objective objective) {
  return objective == recover::Objective::kNextToken
             ? family
             : concat(family, " · ", recover::objective_name(objective));
}

std::vector<StudyFit> fit_study_laws(const std::vector<laws::Observation>& observations) {
  // The objectives some recovered experiment trained with; next-token training when none did.
  std::set<recover::Objective> objectives;
  for (const laws::Observation& o : observations) {
    if (o.tokens > 0) objectives.insert(objective_of(o));
  }
  if (objectives.empty()) objectives.insert(recover::Objective::kNextToken);
  std::vector<StudyFit> fits;
  for (const MetricKind kind : law_metric_kinds()) {
    const std::string metric = MetricName::of(kind, "").kind_text();
    std::map<std::pair<recover::Objective, std::string>, std::vector<laws::Observation>> groups;
    std::set<std::string> families;
    for (const laws::Observation& o : observations) {
      if (o.metric != metric) continue;
      families.insert(method_family(o.method));
      for (const recover::Objective objective : objectives) {
        // D = 0 is where every objective's recovery starts from.
        if (o.tokens > 0 && objective_of(o) != objective) continue;
        groups[{objective, method_family(o.method)}].push_back(o);
        groups[{objective, kAllMethods}].push_back(o);
      }
    }
    for (auto& [group, rows] : groups) {
      const auto& [objective, family] = group;
      // The pooled fit adds nothing beside a single family.
      if (family == kAllMethods && families.size() == 1) continue;
      StudyFit fit;
      fit.metric = metric;
      fit.family = family;
      fit.objective = objective;
      laws::ChanceScreen screen = laws::leave_out_chance_frontiers(rows);
      fit.observations = std::move(screen.kept);
      fit.warnings = std::move(screen.warnings);
      if (!fit.observations.empty()) fit.selection = laws::select_law(fit.observations, {});
      fits.push_back(std::move(fit));
    }
  }
  return fits;
}

std::vector<CriticalRow> critical_ratios(const std::vector<StudyFit>& fits) {
  std::vector<CriticalRow> rows;
  for (const StudyFit& fit : fits) {
    const laws::Candidate* chosen = fit.chosen();
    if (chosen == nullptr) continue;
    std::map<std::string, const laws::Observation*> frontiers;
    double largest_budget = 0;
    for (const laws::Observation& o : fit.observations) {
      frontiers.emplace(o.frontier(), &o);
      largest_budget = std::max(largest_budget, o.tokens);
    }
    std::vector<std::optional<double>> budgets = {0.0};
    if (largest_budget > 0) budgets.push_back(largest_budget);
    budgets.push_back(std::nullopt);
    const bool higher_is_worse =
        MetricName::of(quality_kind_named(fit.metric), "").lower_is_better();
    for (const auto& [frontier, o] : frontiers) {
      for (const double sigma : kCriticalSigmas) {
        for (const std::optional<double>& tokens : budgets) {
          CriticalRow row;
          row.metric = fit.metric;
          row.family = fit.family;
          row.objective = fit.objective;
          row.frontier = frontier;
          row.base_value = o->base_value;
          row.sigma = sigma;
          const double factor = higher_is_worse ? 1 / sigma : sigma;
          row.target = factor * o->base_value;
          row.tokens = tokens;
          if (o->chance && row.target <= *o->chance) {
            row.critical.meaning =
                concat("no critical ratio: the target ", row.target, " is at or below chance (",
                       *o->chance, "), where a model is no better than a guess");
          } else {
            row.critical =
                laws::critical_ratio(*chosen->law, frontier, factor, o->base_value, tokens);
          }
          rows.push_back(std::move(row));
        }
      }
    }
  }
  return rows;
}

}  // namespace claw::study
