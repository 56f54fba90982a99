// The study config TOML, checked whole as claw study checks it.
#include "core/text_file.h"
#include "fuzz/targets.h"
#include "fuzz/workspace.h"
#include "study/study_config.h"

namespace claw::fuzz {
namespace {

void run_study_config(std::string_view input) {
  const std::string toml(input);
  study::parse_study_config(toml, "study.toml", false);
  // --quick merges the [quick] table over the rest; without one it is refused outright.
  if (toml.find("[quick]") != std::string::npos)
    study::parse_study_config(toml, "study.toml", true);
}

std::vector<Seed> study_config_seeds() {
  return {{"default", study::default_study_toml()},
          {"tiny", read_text_file(std::filesystem::path(CLAW_SOURCE_DIR) /
                                  "tests/study/fixtures/tiny_study.toml")}};
}

}  // namespace

std::vector<FuzzTarget> study_targets() {
  return {
      {"study_config", "a study config TOML, checked whole as claw study does", run_study_config,
       study_config_seeds},
  };
}

}  // namespace claw::fuzz
