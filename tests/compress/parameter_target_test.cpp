// Parameter-matched ratios: for every registered method the solved ratio's achieved fraction is
// the nearest the method's structure allows (so within one step of the target), written as a
// short decimal; a target beyond what a method can remove is refused with the most it can.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "compress/parameter_target.h"
#include "core/error.h"
#include "model/load.h"
#include "model/presets.h"
#include "support/test_support.h"

namespace claw::compress {
namespace {

// The options a method needs that have no default (calibration text), as a study gives them.
Json required_options(const MethodInfo& method) {
  Json options = Json::object();
  if (method.options.find("calib") != nullptr) options["calib"] = "tinystories:train";
  if (method.options.find("round") != nullptr) options["round"] = 1;
  return options;
}

TEST(ParameterTarget, EveryMethodGetsTheNearestStructuralStep) {
  const std::vector<model::ModelConfig> configs = {
      model::read_model_config(testing::data_path("models/stories260K/stories260K.bin")),
      model::preset_config("qwen2.5-0.5b")};
  for (const model::ModelConfig& config : configs) {
    for (const MethodInfo& method : registered_methods()) {
      const Json options = method.options.complete(required_options(method));
      for (const double target : {0.1, 0.2, 0.3}) {
        ParameterTarget solved;
        try {
          solved = ratio_for_parameters(method, config, options, target);
        } catch (const Error& e) {
          // Only a method that cannot reach the target may refuse, and it says how far it goes.
          EXPECT_NE(std::string(e.what()).find("removes at most"), std::string::npos) << e.what();
          continue;
        }
        EXPECT_DOUBLE_EQ(method.removed_fraction(config, solved.ratio, options), solved.achieved);
        // No ratio on a fine grid comes nearer the target.
        double nearest = std::numeric_limits<double>::infinity();
        for (int i = 0; i < 2000; ++i) {
          try {
            nearest = std::min(
                nearest, std::abs(method.removed_fraction(config, i / 2000.0, options) - target));
          } catch (const Error&) {
          }
        }
        // (1e-4: a method continuous in r gets r to four significant digits.)
        EXPECT_LE(std::abs(solved.achieved - target), nearest + 1e-4)
            << method.name << " at target " << target << ": r = " << solved.ratio;
        // A short decimal: at most four digits after the point on these shapes.
        EXPECT_NEAR(solved.ratio * 1e4, std::round(solved.ratio * 1e4), 1e-6)
            << method.name << ": r = " << solved.ratio;
      }
    }
  }
}

// ShortGPT's sublayer units step one attention or MLP sublayer at a time: the solved ratio is
// within half a sublayer's share of the target, and the fraction is the method's own.
TEST(ParameterTarget, SublayerPruningStepsOneSublayerAtATime) {
  const model::ModelConfig config = model::preset_config("qwen2.5-0.5b");
  const MethodInfo& shortgpt = method_info("shortgpt");
  for (const std::string unit : {"attention", "mlp"}) {
    Json options = required_options(shortgpt);
    options["unit"] = unit;
    options = shortgpt.options.complete(options);
    const ParameterTarget solved = ratio_for_parameters(shortgpt, config, options, 0.05);
    model::ModelConfig one_less = config;
    (unit == "attention" ? one_less.kv_heads : one_less.intermediate_sizes)[0] = 0;
    const double step = removed_parameter_fraction(config, one_less);
    EXPECT_LE(std::abs(solved.achieved - 0.05), step / 2 + 1e-12) << unit;
    EXPECT_DOUBLE_EQ(shortgpt.removed_fraction(config, solved.ratio, options), solved.achieved);
  }
}

TEST(ParameterTarget, RefusesTargetsBeyondTheMethodOrOutsideTheUnitInterval) {
  const model::ModelConfig config =
      model::read_model_config(testing::data_path("models/stories260K/stories260K.bin"));
  const MethodInfo& heads = method_info("heads");
  const Json options = heads.options.complete({{"calib", "tinystories:train"}});
  testing::expect_error_containing([&] { ratio_for_parameters(heads, config, options, 0.3); },
                                   "heads removes at most 20.3% of the non-embedding parameters");
  EXPECT_THROW(ratio_for_parameters(heads, config, options, 0.0), OptionError);
  // A method that cannot compress this model at any ratio says why.
  const MethodInfo& slicegpt = method_info("slicegpt");
  testing::expect_error_containing(
      [&] {
        ratio_for_parameters(
            slicegpt, config,
            slicegpt.options.complete({{"calib", "tinystories:train"}, {"round", 128}}), 0.2);
      },
      "keeps no dimension of 64");
  EXPECT_THROW(ratio_for_parameters(heads, config, options, 1.0), OptionError);
}

}  // namespace
}  // namespace claw::compress
