// Experiment results as the law reads them: CSV or JSON Lines with the columns model, task,
// method, ratio, tokens, metric, value and base_value, optionally chance, base_std_error and
// objective (others are ignored), and the selections `claw fit` makes of them.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "laws/observation.h"

namespace claw::laws {

// By extension: .csv, or .jsonl / .json (one object per line). Every row must have every
// column; numbers must parse. Errors name the file and line.
std::vector<Observation> read_results(const std::filesystem::path& path);

// A condition of --where: "method=prunenet". Keys: model, task, method, metric, ratio, tokens,
// objective; ratio and tokens compare as numbers. An unrecovered observation (D = 0) meets every
// objective condition: each recovery starts from it.
struct Condition {
  std::string key, value;
};
Condition parse_condition(const std::string& text);

// The observations of `metric` that meet every condition.
std::vector<Observation> select_observations(const std::vector<Observation>& all,
                                             const std::string& metric,
                                             const std::vector<Condition>& where);

// The value of `key` (as --where names it) for an observation.
std::string observation_field(const Observation& o, const std::string& key);

// Observations split by the value of `key`; one group named "" when `key` is empty. By objective,
// the unrecovered observations (D = 0) join every group.
std::map<std::string, std::vector<Observation>> group_observations(
    const std::vector<Observation>& observations, const std::string& key);

}  // namespace claw::laws
