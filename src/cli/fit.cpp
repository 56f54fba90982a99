// claw fit --results FILE: the compression law fitted to measured experiments, with its
// statistics, its held-out error and the later paper's alternative form beside it.
#include <cmath>
#include <cstdio>
#include <set>

#include "cli/command.h"
#include "core/atomic_file.h"
#include "core/error.h"
#include "core/log.h"
#include "laws/held_out.h"
#include "laws/law_file.h"
#include "laws/results_file.h"
#include "study/store.h"
#include "study/study_laws.h"

namespace claw::cli {
namespace {

struct FitArgs {
  std::string results, metric = "loss", by, out, d_unit = "mtokens";
  std::vector<std::string> where;
  bool intercept = false, json = false;
};

void print_fit(const std::string& title, const laws::CompressionLaw& law,
               const std::vector<laws::HeldOutQuality>& held_out,
               const std::optional<laws::RatioPowerLaw>& alternative) {
  const laws::OlsFit& f = law.fit;
  std::printf("%s: %lld observations, D in %s, %s\n", title.c_str(),
              static_cast<long long>(f.observations), laws::token_unit_name(law.options.unit),
              law.options.intercept ? "with an intercept" : "without an intercept");
  std::printf("  %-24s %10s %10s %9s %10s   %s\n", "coefficient", "estimate", "std err", "t", "p",
              "95% interval");
  for (const laws::Coefficient& c : f.coefficients) {
    std::printf("  %-24s %10.5f %10.5f %9.2f %10.3g   [%.5f, %.5f]\n", c.name.c_str(), c.estimate,
                c.std_error, c.t, c.p_value, c.ci_low, c.ci_high);
  }
  std::printf(
      "  R² %.6f (%s), adjusted %.6f; F %.6g on %lld and %lld df (p %.3g); residual std "
      "error %.5f (log scale)\n",
      f.r_squared, f.centered ? "centred" : "uncentred", f.adj_r_squared, f.f_value,
      static_cast<long long>(f.df_model), static_cast<long long>(f.df_resid), f.f_p_value,
      f.residual_std_error);
  for (const laws::HeldOutQuality& q : held_out) {
    if (q.predicted == 0) {
      std::printf("  held out by %-8s no fold could be refitted\n", q.by.c_str());
      continue;
    }
    std::printf("  held out by %-8s RMSE %.5f, MAPE %.2f%% over %lld predictions (%zu folds)\n",
                q.by.c_str(), q.rmse, q.mape, static_cast<long long>(q.predicted), q.folds.size());
  }
  if (alternative) {
    std::printf("  alternative L = L0·P0·(1−r)^α: P0 %.5f, α %.5f, R² %.6f (centred)\n",
                alternative->p0, alternative->alpha, alternative->fit.r_squared);
  }
  for (const std::string& note : law.notes) std::printf("  note: %s\n", note.c_str());
}

void run(const FitArgs& args) {
  laws::LawOptions options;
  options.intercept = args.intercept;
  options.unit = laws::parse_token_unit(args.d_unit);
  std::vector<laws::Condition> where;
  for (const std::string& w : args.where) where.push_back(laws::parse_condition(w));
  if (!args.by.empty()) laws::observation_field({}, args.by);  // refuses unknown keys
  if (!args.out.empty()) check_file_writable(args.out);

  // A study's store holds the same observations as a results file.
  const std::vector<laws::Observation> all =
      study::is_sqlite_file(args.results)
          ? study::store_observations(study::Store(args.results).experiments(), args.results)
          : laws::read_results(args.results);
  const std::vector<laws::Observation> selected =
      laws::select_observations(all, args.metric, where);
  CLAW_CHECK(!selected.empty(), args.results, ": no rows of metric '", args.metric,
             "' meet the conditions (", all.size(), " rows in all)");

  Json laws_json = Json::array();
  for (const auto& [group, observations] : laws::group_observations(selected, args.by)) {
    const std::string title = group.empty() ? "law" : concat("law for ", args.by, " = ", group);
    log::info("fitting the ", title, " to ", observations.size(), " observations");
    laws::GroupLaw fitted{group, laws::fit_compression_law(observations, options), {}};
    std::set<double> bases;
    for (const laws::Observation& o : observations) bases.insert(o.base_value);
    fitted.base_values.assign(bases.begin(), bases.end());
    const std::vector<laws::HeldOutQuality> held_out =
        laws::leave_one_group_out(observations, options);
    std::optional<laws::RatioPowerLaw> alternative;
    try {
      alternative = laws::fit_ratio_power_law(observations);
    } catch (const Error& e) {
      log::warn("the alternative form could not be fitted: ", e.what());
    }
    Json entry = laws::group_law_json(fitted);
    entry["held_out"] = Json::array();
    for (const laws::HeldOutQuality& q : held_out) entry["held_out"].push_back(q.json());
    entry["alternative"] = alternative ? alternative->json() : Json(nullptr);
    laws_json.push_back(entry);
    if (!args.json) print_fit(title, fitted.law, held_out, alternative);
  }

  const Json record = {
      {"claw_version", CLAW_VERSION}, {"results", args.results}, {"metric", args.metric},
      {"where", args.where},          {"by", args.by},           {"laws", laws_json}};
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
      "fit", "Fit the compression law L = L0^α (1+r)^β (1+1/(D+1))^γ to measured results");
  cmd->add_option("--results", args->results,
                  "CSV or JSON Lines with model, task, method, ratio, tokens, metric, value, "
                  "base_value; or a study's store (study.sqlite)")
      ->required();
  cmd->add_option("--metric", args->metric, "the metric to fit (loss, acc, acc_norm, avg, ...)")
      ->capture_default_str();
  cmd->add_option("--where", args->where,
                  "KEY=VALUE conditions on model, task, method, ratio or tokens, comma-separated")
      ->delimiter(',');
  cmd->add_option("--by", args->by, "fit one law per value of this key (e.g. method)");
  cmd->add_flag("--intercept", args->intercept, "fit log L = c + ... with an intercept c");
  cmd->add_option("--d-unit", args->d_unit, "the unit of D in the law: mtokens or tokens")
      ->capture_default_str();
  cmd->add_option("--out", args->out, "write the laws to this file, for claw predict / critical");
  cmd->add_flag("--json", args->json, "print the laws as JSON instead of the tables");
  cmd->callback([args] { run(*args); });
}

}  // namespace claw::cli
