#include "laws/held_out.h"

#include <cmath>
#include <functional>
#include <set>

#include "core/error.h"
#include "core/format.h"

namespace claw::laws {
namespace {

// A fold: the rows it predicts (the rest are fitted on), named by what they share.
struct Fold {
  std::string name;
  std::function<bool(const Observation&)> held_out;
};

HeldOutQuality evaluate_folds(const LawSpec& spec, const std::vector<Observation>& observations,
                              const std::string& by, const std::vector<Fold>& folds) {
  HeldOutQuality quality;
  quality.by = by;
  for (const Fold& f : folds) {
    std::vector<Observation> training, test;
    for (const Observation& o : observations) (f.held_out(o) ? test : training).push_back(o);
    HeldOutFold fold{f.name, static_cast<std::int64_t>(test.size()), ""};
    try {
      const FittedLaw law = fit_law(spec, training);
      std::vector<HeldOutPrediction> predicted;
      for (const Observation& o : test) {
        predicted.push_back({o.frontier(), o.ratio, o.tokens, o.value, predict(law, o).estimate});
      }
      quality.predictions.insert(quality.predictions.end(), predicted.begin(), predicted.end());
    } catch (const Error& e) {
      fold.skipped = e.what();
    }
    quality.folds.push_back(fold);
  }
  quality.errors = prediction_errors(quality.predictions);
  std::map<std::string, std::vector<HeldOutPrediction>> per_frontier;
  for (const HeldOutPrediction& p : quality.predictions) per_frontier[p.frontier].push_back(p);
  for (const auto& [frontier, predictions] : per_frontier) {
    quality.by_frontier[frontier] = prediction_errors(predictions);
  }
  return quality;
}

// One fold per distinct value of `key`.
template <typename Key>
std::vector<Fold> one_out_folds(const std::vector<Observation>& observations, Key key) {
  std::set<decltype(key(observations.front()))> values;
  for (const Observation& o : observations) values.insert(key(o));
  std::vector<Fold> folds;
  if (values.size() < 2) return folds;
  for (const auto& value : values) {
    folds.push_back(
        {concat(value), [key, value](const Observation& o) { return key(o) == value; }});
  }
  return folds;
}

// Fit on r ≤ r_k, predict every r > r_k, for each r_k from the middle ratio to the last but one.
std::vector<Fold> rolling_folds(const std::vector<Observation>& observations) {
  std::set<double> set;
  for (const Observation& o : observations) set.insert(o.ratio);
  const std::vector<double> ratios(set.begin(), set.end());
  std::vector<Fold> folds;
  if (ratios.size() < 3) return folds;
  for (std::size_t k = (ratios.size() + 1) / 2 - 1; k + 1 < ratios.size(); ++k) {
    const double last = ratios[k];
    folds.push_back(
        {concat("r > ", last), [last](const Observation& o) { return o.ratio > last; }});
  }
  return folds;
}

}  // namespace

PredictionErrors prediction_errors(const std::vector<HeldOutPrediction>& predictions) {
  PredictionErrors e;
  e.predicted = static_cast<std::int64_t>(predictions.size());
  if (predictions.empty()) return e;
  const double n = static_cast<double>(predictions.size());
  double squared = 0, relative = 0, relative_squared = 0;
  for (const HeldOutPrediction& p : predictions) {
    const double error = p.predicted - p.observed;
    const double share = std::fabs(error) / p.observed;
    squared += error * error;
    relative += share;
    relative_squared += share * share;
  }
  e.rmse = std::sqrt(squared / n);
  e.mape = 100 * relative / n;
  const double variance = n > 1 ? (relative_squared - relative * relative / n) / (n - 1) : 0;
  e.mape_std_error = 100 * std::sqrt(std::max(0.0, variance) / n);
  return e;
}

bool HeldOutQuality::complete() const {
  for (const HeldOutFold& f : folds) {
    if (!f.skipped.empty()) return false;
  }
  return !folds.empty();
}

std::vector<HeldOutQuality> held_out_quality(const LawSpec& spec,
                                             const std::vector<Observation>& observations) {
  std::vector<std::pair<std::string, std::vector<Fold>>> groupings = {
      {"ratio", one_out_folds(observations, [](const Observation& o) { return o.ratio; })},
      {"tokens", one_out_folds(observations, [](const Observation& o) { return o.tokens; })},
  };
  if (spec.scope == Scope::kPooled) {
    groupings.emplace_back(
        "frontier", one_out_folds(observations, [](const Observation& o) { return o.frontier(); }));
  }
  groupings.emplace_back("rolling", rolling_folds(observations));
  std::vector<HeldOutQuality> results;
  for (const auto& [by, folds] : groupings) {
    if (!folds.empty()) results.push_back(evaluate_folds(spec, observations, by, folds));
  }
  return results;
}

std::string mape_text(const HeldOutQuality* quality) {
  if (quality == nullptr || quality->errors.predicted == 0) return "-";
  const double mape = quality->errors.mape;
  return (mape <= 1000 ? fixed(mape, 2) + "%" : std::string("> 1000%")) +
         (quality->complete() ? "" : "*");
}

const HeldOutQuality* find_held_out(const std::vector<HeldOutQuality>& qualities,
                                    const std::string& by) {
  for (const HeldOutQuality& q : qualities) {
    if (q.by == by) return &q;
  }
  return nullptr;
}

Json PredictionErrors::json() const {
  if (predicted == 0) return {{"predicted", 0}, {"rmse", nullptr}, {"mape_percent", nullptr}};
  return {{"predicted", predicted},
          {"rmse", rmse},
          {"mape_percent", mape},
          {"mape_std_error_percent", mape_std_error}};
}

Json HeldOutQuality::json() const {
  Json folds_json = Json::array();
  for (const HeldOutFold& f : folds) {
    Json fold = {{"held_out", f.held_out}, {"rows", f.rows}};
    if (!f.skipped.empty()) fold["skipped"] = f.skipped;
    folds_json.push_back(fold);
  }
  Json frontiers = Json::object();
  for (const auto& [frontier, errors] : by_frontier) frontiers[frontier] = errors.json();
  return {{"by", by},
          {"complete", complete()},
          {"errors", errors.json()},
          {"by_frontier", frontiers},
          {"folds", folds_json}};
}

}  // namespace claw::laws
