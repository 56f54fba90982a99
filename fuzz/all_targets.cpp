// Every fuzz target: the parsers' and those of the model layer and above.
#include "fuzz/fuzz_target.h"
#include "fuzz/targets.h"

namespace claw::fuzz {

const std::vector<FuzzTarget>& fuzz_targets() {
  static const std::vector<FuzzTarget> targets = [] {
    std::vector<FuzzTarget> all = parser_fuzz_targets();
    for (auto group : {model_file_targets, training_data_targets, study_targets}) {
      for (const FuzzTarget& target : group()) all.push_back(target);
    }
    return all;
  }();
  return targets;
}

const FuzzTarget& fuzz_target(std::string_view name) {
  return find_fuzz_target(fuzz_targets(), name);
}

}  // namespace claw::fuzz
