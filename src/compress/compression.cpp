#include "compress/compression.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "core/format.h"
#include "core/option_table.h"
#include "core/stopwatch.h"
#include "model/layout.h"

namespace claw::compress {
namespace {

Json parameter_counts(const model::ModelConfig& config) {
  const model::ParameterCounts n = model::count_parameters(config);
  return {{"total", n.total()}, {"without_embeddings", n.without_embeddings()}};
}

// The fractions removed between two parameter_counts().
FractionRemoved fractions_removed(const Json& before, const Json& after) {
  const auto removed = [&](const char* key) {
    const double b = before[key].get<double>(), a = after[key].get<double>();
    return b > 0 ? (b - a) / b : 0.0;
  };
  return {removed("total"), removed("without_embeddings")};
}

// The sizes a method may change besides the FFN widths, which are recorded apart.
Json shape_record(const model::ModelConfig& c) {
  return {
      {"layers", c.num_layers}, {"kv_heads", c.kv_heads}, {"residual_width", c.residual_width(0)}};
}

}  // namespace

void check_ratio(double ratio) {
  if (!(std::isfinite(ratio) && ratio >= 0 && ratio < 1)) {
    throw OptionError("ratio", concat(ratio,
                                      " is outside [0, 1): it is the fraction of the "
                                      "method's dimension removed"));
  }
}

Json compress_model(model::Model& model, CompressionMethod& method, double ratio) {
  check_ratio(ratio);
  CLAW_CHECK(method.handles_removed_sublayers() || !model.config.has_removed_sublayers(),
             method.name(),
             " cannot compress a model whose layers lack attention or an MLP (sublayer "
             "pruning's output); shortgpt can");
  const model::ModelConfig before = model.config;
  const Stopwatch time;
  Json details = method.compress(model, ratio);
  const double seconds = time.seconds();
  const Json params_before = parameter_counts(before),
             params_after = parameter_counts(model.config);
  return {{"method", method.name()},
          {"settings", method.settings()},
          {"ratio", ratio},
          {"shape", {{"before", shape_record(before)}, {"after", shape_record(model.config)}}},
          {"intermediate_sizes",
           {{"before", before.intermediate_sizes}, {"after", model.config.intermediate_sizes}}},
          {"parameters",
           {{"before", params_before},
            {"after", params_after},
            {"fraction_removed", fractions_removed(params_before, params_after).json()}}},
          {"seconds", seconds},
          {"details", std::move(details)}};
}

Json FractionRemoved::json() const {
  return {{"total", total}, {"without_embeddings", without_embeddings}};
}

FractionRemoved FractionRemoved::of_record(const Json& record) {
  const Json& removed = record.at("parameters").at("fraction_removed");
  return {removed.at("total").get<double>(), removed.at("without_embeddings").get<double>()};
}

Json write_compressed_model(model::Model& model, const CompressionJob& job,
                            const CompressionContext& context, model::SaveOptions save,
                            const std::filesystem::path& output) {
  check_ratio(job.ratio);
  const MethodInfo& info = method_info(job.method);
  const Json options = info.options.complete(job.options);
  const std::unique_ptr<CompressionMethod> method = info.make(options, context, model.config);
  Json record = compress_model(model, *method, job.ratio);
  record["options"] = info.options.recorded(options);
  record["family"] = family_name(info.family);
  record["source"] = {{"path", job.source.string()}, {"content_hash", job.source_hash}};
  record["claw_version"] = CLAW_VERSION;
  record["timings"] = {{"compress_s", record["seconds"]}};
  record.merge_patch(job.record_extra);
  save.generated_files.emplace_back("compression.json", record.dump(2) + "\n");
  model::save_model(model, output, save);
  return record;
}

}  // namespace claw::compress
