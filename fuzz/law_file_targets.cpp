// What claw fit and claw predict read: results to fit (CSV or JSONL) and law files.
#include <array>
#include <filesystem>
#include <optional>

#include "core/format.h"
#include "core/json.h"
#include "fuzz/targets.h"
#include "fuzz/workspace.h"
#include "laws/critical.h"
#include "laws/law_file.h"
#include "laws/results_file.h"

namespace claw::fuzz {
namespace {

// What claw fit and claw predict do with what they read: fit, predict and find critical ratios.
void use(const laws::FittedLaw& law) {
  for (const laws::LawPart& part : law.parts) {
    for (const auto& [frontier, base] : part.base_values) {
      for (const std::optional<double> tokens : {std::optional<double>(), std::optional(1000.0)}) {
        laws::predict(law, frontier, base, 0.5, tokens);
        laws::critical_ratio(law, frontier, 0.9, base, tokens);
      }
    }
  }
}

// The paper's law, and a form with a fitted D scale, whose search runs on what was read.
laws::FittedLaw fit(const std::vector<laws::Observation>& observations, const char* form,
                    laws::DScaleKind scale) {
  return laws::fit_law({&laws::law_form(form), scale, laws::Scope::kPooled}, observations);
}

constexpr std::array<const char*, 3> kResultFiles = {"results.csv", "results.jsonl", "laws.json"};

void run_results(std::string_view input) {
  const auto [choice, rest] = select_format(input, kResultFiles.size());
  const std::filesystem::path path = Workspace::get().write(kResultFiles[choice], rest);
  if (choice == 2) {
    for (const laws::GroupLaw& group : laws::read_law_file(path)) use(group.law);
  } else {
    const std::vector<laws::Observation> observations = laws::read_results(path);
    use(fit(observations, "v1", laws::DScaleKind::kMillions));
    use(fit(observations, "anchored+r2", laws::DScaleKind::kFitted));
  }
}

// Observations that follow a law exactly, on a grid of r and D.
std::vector<laws::Observation> grid_observations() {
  std::vector<laws::Observation> observations;
  for (const double ratio : {0.1, 0.3, 0.5, 0.7}) {
    for (const double tokens : {0.0, 1e5, 1e6}) {
      const double value = 2.0 * (1 + ratio) * (1 + 0.1 / (tokens / 1e6 + 1));
      laws::Observation o;
      o.model = "m", o.task = "t", o.method = "random", o.metric = "loss";
      o.ratio = ratio, o.tokens = tokens, o.value = value, o.base_value = 2.0;
      observations.push_back(o);
    }
  }
  return observations;
}

std::vector<Seed> results_seeds() {
  std::string csv = "model,task,method,ratio,tokens,metric,value,base_value\n";
  std::string jsonl;
  for (const laws::Observation& o : grid_observations()) {
    csv += concat(o.model, ",", o.task, ",", o.method, ",", o.ratio, ",", o.tokens, ",", o.metric,
                  ",", o.value, ",", o.base_value, "\n");
    jsonl += Json{{"model", o.model},   {"task", o.task},
                  {"method", o.method}, {"ratio", o.ratio},
                  {"tokens", o.tokens}, {"metric", o.metric},
                  {"value", o.value},   {"base_value", o.base_value}}
                 .dump() +
             "\n";
  }
  const Json law_file = {
      {"laws",
       {{{"group", ""},
         {"law", fit(grid_observations(), "v1", laws::DScaleKind::kMillions).json()}}}}};
  return {selected_seed("csv", 0, csv), selected_seed("jsonl", 1, jsonl),
          selected_seed("law_file", 2, law_file.dump(2))};
}

}  // namespace

std::vector<FuzzTarget> law_file_targets() {
  return {{"results", "results to fit (CSV or JSONL) and law files to predict from", run_results,
           results_seeds}};
}

}  // namespace claw::fuzz
