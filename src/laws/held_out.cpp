#include "laws/held_out.h"

#include <cmath>
#include <functional>
#include <map>

#include "core/error.h"

namespace claw::laws {
namespace {

struct Grouping {
  const char* by;
  std::function<std::string(const Observation&)> key;
};

using Groups = std::map<std::string, std::vector<Observation>>;

HeldOutQuality hold_out_each(const std::vector<Observation>& observations,
                             const LawOptions& options, const Grouping& grouping,
                             const Groups& groups) {
  HeldOutQuality quality;
  quality.by = grouping.by;
  double squared = 0, relative = 0;
  for (const auto& [value, held_out] : groups) {
    HeldOutFold fold{value, static_cast<std::int64_t>(held_out.size()), ""};
    std::vector<Observation> training;
    for (const Observation& o : observations) {
      if (grouping.key(o) != value) training.push_back(o);
    }
    try {
      const CompressionLaw law = fit_compression_law(training, options);
      for (const Observation& o : held_out) {
        const double error = predict(law, o.base_value, o.ratio, o.tokens).estimate - o.value;
        squared += error * error;
        relative += std::fabs(error) / o.value;
        ++quality.predicted;
      }
    } catch (const Error& e) {
      fold.skipped = e.what();
    }
    quality.folds.push_back(fold);
  }
  if (quality.predicted > 0) {
    quality.rmse = std::sqrt(squared / static_cast<double>(quality.predicted));
    quality.mape = 100 * relative / static_cast<double>(quality.predicted);
  }
  return quality;
}

}  // namespace

std::vector<HeldOutQuality> leave_one_group_out(const std::vector<Observation>& observations,
                                                const LawOptions& options) {
  const Grouping groupings[] = {
      {"ratio", [](const Observation& o) { return concat(o.ratio); }},
      {"tokens", [](const Observation& o) { return concat(o.tokens); }},
      {"frontier", [](const Observation& o) { return o.frontier(); }},
  };
  std::vector<HeldOutQuality> results;
  for (const Grouping& grouping : groupings) {
    Groups groups;
    for (const Observation& o : observations) groups[grouping.key(o)].push_back(o);
    if (groups.size() < 2) continue;
    results.push_back(hold_out_each(observations, options, grouping, groups));
  }
  return results;
}

Json HeldOutQuality::json() const {
  Json folds_json = Json::array();
  for (const HeldOutFold& f : folds) {
    Json fold = {{"held_out", f.held_out}, {"rows", f.rows}};
    if (!f.skipped.empty()) fold["skipped"] = f.skipped;
    folds_json.push_back(fold);
  }
  Json j = {{"by", by}, {"predicted", predicted}, {"folds", folds_json}};
  j["rmse"] = predicted > 0 ? Json(rmse) : Json(nullptr);
  j["mape_percent"] = predicted > 0 ? Json(mape) : Json(nullptr);
  return j;
}

}  // namespace claw::laws
