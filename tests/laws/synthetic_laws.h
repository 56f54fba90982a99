// Observations generated from a law form with known coefficients, for the laws' tests: three
// frontiers × nine ratios × five recovery budgets, log L = [log L0 +] x·b + N(0, noise²).
#pragma once

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "laws/law_form.h"
#include "laws/observation.h"

namespace claw::laws::synthetic {

struct Truth {
  std::string form;
  std::vector<double> coefficients;  // in the form's term order
  double d_scale = 1e6;              // s, tokens per unit of D
  double noise = 0.02;               // standard deviation of log L
};

// Loss-like coefficients for every form: L rises with r, recovery lowers it.
inline std::vector<Truth> every_form_truth() {
  return {
      {"v1", {0.9, 2.1, 0.4}},
      {"v1+c", {0.3, 0.9, 2.1, 0.4}},
      {"v2", {0.1, -0.8}},
      {"v1+r2", {0.9, 1.2, 0.8, 0.4}},
      {"v1+rD", {0.9, 1.2, 0.3, 1.5}},
      {"v1+r2+rD", {0.9, 1.0, 0.6, 0.3, 1.5}},
      {"anchored", {1.2, 1.5}},
      {"anchored+r2", {1.0, 0.6, 1.5}},
  };
}

inline const std::vector<double>& default_budgets() {
  static const std::vector<double> budgets = {0, 25e3, 50e3, 100e3, 200e3};
  return budgets;
}

// The noise-free log L of the truth at one setting.
inline double true_log_value(const Truth& truth, double base, double ratio, double tokens) {
  const LawForm& form = law_form(truth.form);
  const std::vector<double> x = regressors(form.terms, base, ratio, tokens, truth.d_scale);
  double log_value = form.base_offset ? std::log(base) : 0;
  for (std::size_t j = 0; j < x.size(); ++j) log_value += truth.coefficients[j] * x[j];
  return log_value;
}

inline std::vector<Observation> form_data(const Truth& truth, std::uint32_t seed,
                                          const std::vector<double>& budgets = default_budgets(),
                                          const std::vector<double>& ratios = {
                                              0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9}) {
  std::mt19937 generator(seed);
  std::normal_distribution<double> noise(0, truth.noise);
  std::vector<Observation> data;
  const char* models[] = {"small", "medium", "large"};
  const double bases[] = {3.2, 2.4, 1.6};
  for (int m = 0; m < 3; ++m) {
    for (const double ratio : ratios) {
      for (const double tokens : budgets) {
        Observation o;
        o.model = models[m];
        o.task = "wikitext2";
        o.method = "prunenet";
        o.metric = "loss";
        o.ratio = ratio;
        o.tokens = tokens;
        o.base_value = bases[m];
        const double exact = true_log_value(truth, o.base_value, ratio, tokens);
        o.value = std::exp(exact + (truth.noise > 0 ? noise(generator) : 0));
        o.source = "synthetic";
        o.line = static_cast<std::int64_t>(data.size()) + 2;
        data.push_back(o);
      }
    }
  }
  return data;
}

inline LawSpec spec_of(const std::string& form, DScaleKind scale = DScaleKind::kMillions,
                       Scope scope = Scope::kPooled) {
  return {&law_form(form), scale, scope};
}

}  // namespace claw::laws::synthetic
