#include "fuzz/fuzz_target.h"

#include "core/error.h"
#include "core/format.h"
#include "fuzz/targets.h"

namespace claw::fuzz {

const std::vector<FuzzTarget>& parser_fuzz_targets() {
  static const std::vector<FuzzTarget> targets = [] {
    std::vector<FuzzTarget> all;
    for (auto group : {file_format_targets, tokenizer_targets, dataset_targets, law_file_targets}) {
      for (const FuzzTarget& target : group()) all.push_back(target);
    }
    return all;
  }();
  return targets;
}

const FuzzTarget& find_fuzz_target(const std::vector<FuzzTarget>& targets, std::string_view name) {
  for (const FuzzTarget& target : targets) {
    if (target.name == name) return target;
  }
  CLAW_FAIL("unknown fuzz target '", name, "'; expected one of ",
            join(targets, [](const FuzzTarget& t) { return t.name; }));
}

Outcome run_fuzz_input(const FuzzTarget& target, std::string_view input) {
  try {
    target.run(input);
    return Outcome::kAccepted;
  } catch (const Error&) {
    return Outcome::kRefused;
  }
}

Selected select_format(std::string_view input, std::size_t count) {
  if (input.empty()) return {0, input};
  return {static_cast<unsigned char>(input.front()) % count, input.substr(1)};
}

Seed selected_seed(std::string name, std::size_t choice, std::string_view bytes) {
  std::string input(1, static_cast<char>(choice));
  input += bytes;
  return {std::move(name), std::move(input)};
}

}  // namespace claw::fuzz
