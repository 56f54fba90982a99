#include "compress/compression.h"

#include <algorithm>
#include <cmath>
#include <optional>

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/format.h"
#include "core/option_table.h"
#include "core/stopwatch.h"
#include "model/layered_model.h"
#include "model/layout.h"
#include "model/stored_model.h"

namespace claw::compress {
namespace fs = std::filesystem;
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

namespace {

// Carries a planned compression out in the order the method expects: the embeddings, the
// input's layers in turn, each held while it is rewritten and until the next is asked for,
// then the final norm and the head.
class Rewrite {
 public:
  Rewrite(model::LayeredModel& model, CompressionMethod& method, model::ModelConfig planned)
      : model_(model), method_(method), planned_(std::move(planned)) {
    method_.rewrite_embeddings(model_.frame());
  }

  // The input index of the next layer the output keeps, rewritten and held; none once every
  // layer is rewritten.
  std::optional<std::size_t> next_kept_layer() {
    if (held_) model_.release(*held_);
    held_.reset();
    while (next_ < model_.frame().layers.size()) {
      const std::size_t l = next_++;
      model_.hold(l);
      held_ = l;
      if (method_.rewrite_layer(model_.frame(), l)) return l;
      model_.release(l);
      held_.reset();
      dropped_.push_back(static_cast<std::int64_t>(l));
    }
    return std::nullopt;
  }

  // Rewrites what is left, then the head; the model then has the shape planned.
  void finish() {
    while (next_kept_layer()) {
    }
    if (!dropped_.empty()) remove_layers(model_.frame(), dropped_);
    method_.rewrite_head(model_.frame());
    CLAW_CHECK(model_.frame().config == planned_, method_.name(),
               " rewrote the model into another shape than it planned");
  }

 private:
  model::LayeredModel& model_;
  CompressionMethod& method_;
  const model::ModelConfig planned_;
  std::size_t next_ = 0;
  std::optional<std::size_t> held_;
  std::vector<std::int64_t> dropped_;
};

void check_compressible(const model::ModelConfig& config, const CompressionMethod& method) {
  CLAW_CHECK(method.handles_removed_sublayers() || !config.has_removed_sublayers(), method.name(),
             " cannot compress a model whose layers lack attention or an MLP (sublayer "
             "pruning's output); shortgpt can");
}

Json compression_record(const model::ModelConfig& before, const model::ModelConfig& after,
                        const CompressionMethod& method, double ratio, double seconds) {
  const Json params_before = parameter_counts(before), params_after = parameter_counts(after);
  return {{"method", method.name()},
          {"settings", method.settings()},
          {"ratio", ratio},
          {"shape", {{"before", shape_record(before)}, {"after", shape_record(after)}}},
          {"intermediate_sizes",
           {{"before", before.intermediate_sizes}, {"after", after.intermediate_sizes}}},
          {"parameters",
           {{"before", params_before},
            {"after", params_after},
            {"fraction_removed", fractions_removed(params_before, params_after).json()}}},
          {"seconds", seconds},
          {"details", method.details()}};
}

}  // namespace

Json compress_model(model::Model& model, CompressionMethod& method, double ratio) {
  check_ratio(ratio);
  check_compressible(model.config, method);
  const model::ModelConfig before = model.config;
  const Stopwatch time;
  model::ResidentModel resident(model);
  Rewrite rewrite(resident, method, method.plan(resident, ratio));
  rewrite.finish();
  return compression_record(before, model.config, method, ratio, time.seconds());
}

Json FractionRemoved::json() const {
  return {{"total", total}, {"without_embeddings", without_embeddings}};
}

FractionRemoved FractionRemoved::of_record(const Json& record) {
  const Json& removed = record.at("parameters").at("fraction_removed");
  return {removed.at("total").get<double>(), removed.at("without_embeddings").get<double>()};
}

Json write_compressed_model(const CompressionJob& job, const CompressionContext& context,
                            const model::LoadOptions& load, model::SaveOptions save,
                            const std::filesystem::path& output) {
  check_ratio(job.ratio);
  const MethodInfo& info = method_info(job.method);
  const Json options = info.options.complete(job.options);
  const Stopwatch time;
  const model::StoredModel stored(job.source);
  model::StreamedModel model(stored, load);
  const model::ModelConfig before = model.config();
  const std::unique_ptr<CompressionMethod> method = info.make(options, context, before);
  check_compressible(before, *method);
  const model::ModelConfig planned = method->plan(model, job.ratio);

  // The writer asks for the output's tensors in order, and each is made when first asked for:
  // output layer j is the j-th layer the method keeps.
  std::optional<Rewrite> rewrite;
  std::int64_t output_layer = -1;
  std::size_t input_layer = 0;
  bool finished = false;
  const auto produce = [&](const model::TensorSpec& spec) -> torch::Tensor {
    if (!rewrite) rewrite.emplace(model, *method, planned);
    if (spec.layer >= 0) {
      while (output_layer < spec.layer) {
        const std::optional<std::size_t> next = rewrite->next_kept_layer();
        CLAW_CHECK(next, method->name(), " kept fewer layers than it planned");
        input_layer = *next;
        ++output_layer;
      }
      model::TensorSpec held = spec;
      held.layer = static_cast<std::int64_t>(input_layer);
      return model::tensor_slot(model.frame(), held);
    }
    if (spec.role != model::TensorRole::kEmbed && !finished) {
      rewrite->finish();
      finished = true;
    }
    return model::tensor_slot(model.frame(), spec);
  };
  Json record;
  const auto write_more = std::move(save.write_more);
  save.write_more = [&](const fs::path& staging) {
    CLAW_CHECK(finished, "the compressed model was written without its head");
    record = compression_record(before, planned, *method, job.ratio, time.seconds());
    record["options"] = info.options.recorded(options);
    record["family"] = family_name(info.family);
    record["source"] = {{"path", job.source.string()}, {"content_hash", context.source_hash}};
    record["claw_version"] = CLAW_VERSION;
    record["timings"] = {{"compress_s", record["seconds"]}};
    write_file_atomic(staging / "compression.json", record.dump(2) + "\n");
    if (write_more) write_more(staging);
  };
  model::write_model_dir(planned, save.dtype.value_or(model.frame().dtype()), produce, output,
                         save);
  return record;
}

}  // namespace claw::compress
