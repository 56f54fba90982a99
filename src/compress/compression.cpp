#include "compress/compression.h"

#include <algorithm>
#include <cmath>

#include "compress/magnitude_channels.h"
#include "compress/random_channels.h"
#include "core/error.h"
#include "core/format.h"
#include "core/stopwatch.h"
#include "model/layout.h"

namespace claw::compress {
namespace {

Json parameter_counts(const model::ModelConfig& config) {
  const model::ParameterCounts n = model::count_parameters(config);
  return {{"total", n.total()}, {"without_embeddings", n.without_embeddings()}};
}

Json removed_fractions(const Json& before, const Json& after) {
  Json fractions;
  for (const char* key : {"total", "without_embeddings"}) {
    const double b = before[key].get<double>(), a = after[key].get<double>();
    fractions[key] = b > 0 ? (b - a) / b : 0.0;
  }
  return fractions;
}

}  // namespace

namespace {

const std::vector<std::string> kMethodNames = {"random", "magnitude", "prunenet", "slicegpt"};

}  // namespace

std::string method_names_help() {
  return join(kMethodNames);
}

void check_method_name(const std::string& name) {
  CLAW_CHECK(std::find(kMethodNames.begin(), kMethodNames.end(), name) != kMethodNames.end(),
             "unknown compression method '", name, "'; known methods: ", method_names_help());
}

std::unique_ptr<CompressionMethod> make_method(const std::string& name,
                                               const MethodOptions& options) {
  check_method_name(name);
  if (name == "random") return std::make_unique<RandomChannels>(options.seed);
  if (name == "magnitude") return std::make_unique<MagnitudeChannels>();
  if (name == "prunenet") {
    PruneNetOptions prunenet = options.prunenet;
    prunenet.seed = options.seed;
    return std::make_unique<PruneNet>(prunenet);
  }
  SliceGptOptions slicegpt = options.slicegpt;
  slicegpt.seed = options.seed;
  return std::make_unique<SliceGpt>(std::move(slicegpt));
}

void check_ratio(double ratio) {
  CLAW_CHECK(std::isfinite(ratio) && ratio >= 0 && ratio < 1, "--ratio ", ratio,
             " is outside [0, 1): it is the fraction of the method's dimension removed");
}

Json compress_model(model::Model& model, CompressionMethod& method, double ratio) {
  check_ratio(ratio);
  const model::ModelConfig before = model.config;
  const Stopwatch time;
  Json details = method.compress(model, ratio);
  const double seconds = time.seconds();
  const Json params_before = parameter_counts(before),
             params_after = parameter_counts(model.config);
  return {{"method", method.name()},
          {"settings", method.settings()},
          {"ratio", ratio},
          {"intermediate_sizes",
           {{"before", before.intermediate_sizes}, {"after", model.config.intermediate_sizes}}},
          {"parameters",
           {{"before", params_before},
            {"after", params_after},
            {"fraction_removed", removed_fractions(params_before, params_after)}}},
          {"seconds", seconds},
          {"details", std::move(details)}};
}

}  // namespace claw::compress
