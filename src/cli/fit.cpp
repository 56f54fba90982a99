// claw fit --results FILE: compression laws fitted to measured experiments, chosen by how well
// they predict what they were not fitted on, with their statistics and held-out errors.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <set>

#include "cli/command.h"
#include "core/atomic_file.h"
#include "core/error.h"
#include "core/format.h"
#include "core/log.h"
#include "laws/chance.h"
#include "laws/results_file.h"
#include "laws/selection.h"
#include "recover/objective.h"
#include "study/store.h"
#include "study/study_laws.h"

namespace claw::cli {
namespace {

struct FitArgs {
  std::string results, metric = "loss", by, out;
  std::vector<std::string> where, forms = {"auto"}, d_scales = {"auto"}, scopes = {"auto"};
  bool above_chance = false, json = false;
};

// The values of a list option, "auto" standing for every value (an empty list).
template <typename T, typename Parse>
std::vector<T> parse_choices(const std::vector<std::string>& texts, Parse parse) {
  std::vector<T> out;
  for (const std::string& text : texts) {
    if (text != "auto") out.push_back(parse(text));
  }
  return out;
}

laws::SelectionOptions selection_options(const FitArgs& args) {
  laws::SelectionOptions options;
  options.forms = parse_choices<const laws::LawForm*>(
      args.forms, [](const std::string& t) { return &laws::law_form(t); });
  options.d_scales = parse_choices<laws::DScaleKind>(
      args.d_scales, [](const std::string& t) { return laws::parse_d_scale(t, "--d-scale"); });
  options.scopes = parse_choices<laws::Scope>(
      args.scopes, [](const std::string& t) { return laws::parse_scope(t, "--scope"); });
  return options;
}

void print_candidates(const laws::LawSelection& selection) {
  std::printf("  %-2s%-44s %3s %9s %9s %9s %9s %9s %9s\n", "", "candidate", "k", "R2 log L",
              "R2 vs L0", "ratio-out", "D-out", "front-out", "rolling");
  for (std::size_t i = 0; i < selection.candidates.size(); ++i) {
    const laws::Candidate& c = selection.candidates[i];
    const char* mark = selection.chosen && *selection.chosen == i ? "*" : "";
    if (!c.law) {
      std::printf("  %-2s%-44s not fitted: %s\n", mark, c.spec.name().c_str(), c.error.c_str());
      continue;
    }
    const laws::FitDiagnostics& d = c.law->diagnostics;
    std::printf("  %-2s%-44s %3lld %9.4f %9.4f %9s %9s %9s %9s\n", mark, c.spec.name().c_str(),
                static_cast<long long>(c.law->parameters()), d.r_squared_log, d.r_squared_null,
                laws::mape_text(laws::find_held_out(c.held_out, "ratio")).c_str(),
                laws::mape_text(laws::find_held_out(c.held_out, "tokens")).c_str(),
                laws::mape_text(laws::find_held_out(c.held_out, "frontier")).c_str(),
                laws::mape_text(laws::find_held_out(c.held_out, "rolling")).c_str());
  }
  std::printf(
      "  (k: coefficients; R2 log L: centred R² of log L; R2 vs L0: against the null law L = L0; "
      "held-out MAPE, * where a fold could not be refitted)\n");
}

void print_law(const laws::Candidate& chosen) {
  const laws::FittedLaw& law = *chosen.law;
  std::printf("  %s   [%s]\n", law.spec.form->formula, law.spec.form->origin);
  if (*law.spec.form->fixes) std::printf("  fixes %s\n", law.spec.form->fixes);
  for (const laws::LawPart& part : law.parts) {
    const laws::OlsFit& f = part.fit;
    std::printf("  %s%s: %lld observations", part.frontier.empty() ? "pooled" : "frontier ",
                part.frontier.c_str(), static_cast<long long>(f.observations));
    if (law.spec.form->uses_tokens() && law.spec.d_scale == laws::DScaleKind::kFitted) {
      std::printf(", fitted D scale s = %.4g tokens (the statistics below are conditional on it)",
                  part.d_scale);
    }
    std::printf("\n    %-24s %10s %10s %9s %10s   %s\n", "coefficient", "estimate", "std err", "t",
                "p", "95% interval");
    for (const laws::Coefficient& c : f.coefficients) {
      std::printf("    %-24s %10.5f %10.5f %9.2f %10.3g   [%.5f, %.5f]\n", c.name.c_str(),
                  c.estimate, c.std_error, c.t, c.p_value, c.ci_low, c.ci_high);
    }
    std::printf(
        "    centred R² of log L %.6f; R² against L = L0 %.6f; statsmodels' R² %.6f (%s); F %.6g "
        "on %lld and %lld df (p %.3g); residual std error %.5f (log scale)\n",
        part.diagnostics.r_squared_log, part.diagnostics.r_squared_null, f.r_squared,
        f.centered ? "centred" : "uncentred: no constant, near 1 for almost any data", f.f_value,
        static_cast<long long>(f.df_model), static_cast<long long>(f.df_resid), f.f_p_value,
        f.residual_std_error);
    if (!part.warning.empty()) std::printf("    WARNING: %s\n", part.warning.c_str());
  }
  for (const laws::HeldOutQuality& q : chosen.held_out) {
    if (q.errors.predicted == 0) {
      std::printf("  held out by %-8s no fold could be refitted\n", q.by.c_str());
      continue;
    }
    std::printf(
        "  held out by %-8s RMSE %.5f, MAPE %.2f%% ± %.2f over %lld predictions (%zu folds%s)",
        q.by.c_str(), q.errors.rmse, q.errors.mape, q.errors.mape_std_error,
        static_cast<long long>(q.errors.predicted), q.folds.size(),
        q.complete() ? "" : ", some skipped");
    if (q.by_frontier.size() > 1) {
      std::printf("; per frontier:");
      for (const auto& [frontier, e] : q.by_frontier) {
        std::printf(" %s %.2f%%", frontier.c_str(), e.mape);
      }
    }
    std::printf("\n");
  }
  for (const std::string& note : law.notes) std::printf("  note: %s\n", note.c_str());
}

void run(const FitArgs& args) {
  const laws::SelectionOptions options = selection_options(args);
  std::vector<laws::Condition> where;
  for (const std::string& w : args.where) where.push_back(laws::parse_condition(w));
  if (!args.by.empty()) laws::observation_field({}, args.by);  // refuses unknown keys
  if (!args.out.empty()) check_file_writable(args.out);

  // A study's store holds the same observations as a results file.
  std::vector<laws::Observation> all =
      study::is_sqlite_file(args.results)
          ? study::store_observations(study::Store(args.results).experiments(), args.results)
          : laws::read_results(args.results);
  // A results file without the objective column was trained on the next token, as every
  // recovery was before distillation.
  for (laws::Observation& o : all) {
    if (o.objective.empty()) o.objective = recover::objective_name(recover::Objective::kNextToken);
  }
  const std::vector<laws::Observation> selected =
      laws::select_observations(all, args.metric, where);
  CLAW_CHECK(!selected.empty(), args.results, ": no rows of metric '", args.metric,
             "' meet the conditions (", all.size(), " rows in all)");

  for (const laws::Observation& o : selected) laws::check_observation(o);
  // Two recoveries in one law would give it one D term for both.
  std::set<std::string> objectives;
  for (const laws::Observation& o : selected) {
    if (o.tokens > 0) objectives.insert(o.objective);
  }
  const bool chosen = args.by == "objective" ||
                      std::any_of(where.begin(), where.end(),
                                  [](const laws::Condition& c) { return c.key == "objective"; });
  CLAW_CHECK(objectives.size() < 2 || chosen, args.results, ": its models were recovered by ",
             objectives.size(), " objectives (", join(objectives),
             "); fit each apart with --by objective, or choose one with --where objective=NAME");

  Json laws_json = Json::array();
  std::vector<std::string> without_law;  // "group: why", for the error when no group has a law
  for (const auto& [group, rows] : laws::group_observations(selected, args.by)) {
    const std::string title = group.empty() ? "law" : concat("law for ", args.by, " = ", group);
    laws::ChanceScreen screen = laws::leave_out_chance_frontiers(rows);
    std::vector<std::string> notes;
    if (args.above_chance) screen.kept = laws::above_chance(screen.kept, notes);
    Json entry = {{"group", group},
                  {"observations", screen.kept.size()},
                  {"warnings", screen.warnings},
                  {"notes", notes},
                  {"law", nullptr}};
    if (!args.json) {
      std::printf("%s: %s of %zu observations%s\n", title.c_str(), args.metric.c_str(),
                  screen.kept.size(),
                  args.above_chance ? ", as (acc − chance) / (1 − chance)" : "");
      for (const std::string& w : screen.warnings) std::printf("  WARNING: %s\n", w.c_str());
      for (const std::string& n : notes) std::printf("  note: %s\n", n.c_str());
    }
    if (screen.kept.empty()) {
      entry["reason"] = "no observations left to fit";
      laws_json.push_back(entry);
      without_law.push_back(
          concat(title, ": ", join(screen.warnings), notes.empty() ? "" : "; ", join(notes)));
      continue;
    }
    log::info("fitting the ", title, " to ", screen.kept.size(), " observations");
    const laws::LawSelection selection = laws::select_law(screen.kept, options);
    entry["reason"] = selection.reason;
    entry["selection"] = selection.json();
    if (const laws::Candidate* chosen = selection.chosen_candidate()) {
      entry["law"] = chosen->law->json();
    } else {
      without_law.push_back(concat(title, ": ", selection.reason));
    }
    laws_json.push_back(entry);
    if (args.json) continue;
    print_candidates(selection);
    const laws::Candidate* chosen = selection.chosen_candidate();
    std::printf("  chosen: %s: %s\n", chosen ? chosen->spec.name().c_str() : "none",
                selection.reason.c_str());
    if (chosen) print_law(*chosen);
  }

  CLAW_CHECK(without_law.size() < laws_json.size(), "no law could be fitted: ", join(without_law));

  const Json record = {{"claw_version", CLAW_VERSION},
                       {"results", args.results},
                       {"metric", args.metric},
                       {"above_chance", args.above_chance},
                       {"where", args.where},
                       {"by", args.by},
                       {"laws", laws_json}};
  if (args.json) std::printf("%s\n", record.dump(2).c_str());
  if (!args.out.empty()) {
    write_file_atomic(args.out, record.dump(2) + "\n");
    log::info("wrote ", args.out);
  }
}

}  // namespace

void register_fit(CLI::App& app) {
  auto args = std::make_shared<FitArgs>();
  CLI::App* cmd = app.add_subcommand(
      "fit",
      "Fit compression laws to measured results and choose the one that predicts best "
      "(docs/laws.md)");
  cmd->add_option("--results", args->results,
                  "CSV or JSON Lines with model, task, method, ratio, tokens, metric, value, "
                  "base_value [, chance, base_std_error]; or a study's store (study.sqlite)")
      ->required();
  cmd->add_option("--metric", args->metric, "the metric to fit (loss, acc, acc_norm, avg, ...)")
      ->capture_default_str();
  cmd->add_option(
         "--where", args->where,
         "KEY=VALUE conditions on model, task, method, ratio, tokens or objective, comma-separated")
      ->delimiter(',');
  cmd->add_option("--by", args->by, "fit one law per value of this key (e.g. method)");
  cmd->add_option("--form", args->forms,
                  "auto (every form, the best predictor chosen) or forms, comma-separated: " +
                      laws::law_form_names())
      ->delimiter(',')
      ->capture_default_str();
  cmd->add_option("--d-scale", args->d_scales,
                  "how D enters g(D) = log(1 + 1/(D/s + 1)): auto, or tokens, ktokens, mtokens, "
                  "fitted (s by least squares), comma-separated")
      ->delimiter(',')
      ->capture_default_str();
  cmd->add_option("--scope", args->scopes,
                  "auto, pooled (one law for every model × dataset) or per-frontier, "
                  "comma-separated")
      ->delimiter(',')
      ->capture_default_str();
  cmd->add_flag("--above-chance", args->above_chance,
                "fit (acc − chance) / (1 − chance), the share of the way from chance to perfect");
  cmd->add_option("--out", args->out, "write the laws to this file, for claw predict / critical");
  cmd->add_flag("--json", args->json, "print the laws as JSON instead of the tables");
  cmd->callback([args] { run(*args); });
}

}  // namespace claw::cli
