#include "compress/head_pruning.h"

#include "compress/calibration_pass.h"
#include "compress/kv_groups.h"
#include "compress/method_registry.h"
#include "core/error.h"
#include "core/progress.h"
#include "model/torch_tensors.h"

namespace claw::compress {

torch::Tensor group_output_energy(const torch::Tensor& heads, const torch::Tensor& o_weight,
                                  std::int64_t kv_heads) {
  const torch::Tensor a = heads.reshape({-1, heads.size(-1)}).to(torch::kDouble);
  const torch::Tensor w = o_weight.to(torch::kDouble);
  const std::int64_t width = a.size(1) / kv_heads;
  torch::Tensor energy = torch::empty({kv_heads}, torch::kDouble);
  for (std::int64_t g = 0; g < kv_heads; ++g) {
    const torch::Tensor written =
        a.narrow(1, g * width, width).mm(w.narrow(1, g * width, width).t());
    energy[g] = written.square().sum().cpu();
  }
  return energy;
}

HeadPruning::HeadPruning(CalibrationSet calibration) : calibration_(std::move(calibration)) {
  CLAW_CHECK(!calibration_.sequences.empty(), "head pruning needs calibration sequences");
}

Json HeadPruning::settings() const {
  Json settings = calibration_settings(calibration_);
  settings.update({{"score", "mean squared norm of each KV group's output through o_proj"}});
  return settings;
}

model::ModelConfig HeadPruning::plan(model::LayeredModel& model, double ratio) {
  model::ModelConfig after = model.config();
  const model::ModelConfig& c = model.config();
  std::vector<std::int64_t> keep;
  for (std::int64_t l = 0; l < c.num_layers; ++l) {
    keep.push_back(kept_group_count(c.layer_kv_heads(l), ratio, l));
  }
  if (keep == c.kv_heads) {
    details_ = {{"kept_groups", Json::array()}};
    return after;
  }
  details_ = {{"group_energy", Json::array()}, {"kept_groups", Json::array()}};
  CalibrationPass pass(model.frame(), calibration_batches(calibration_, model.frame().device()));
  Progress progress("heads", c.num_layers, "layers");
  for (std::int64_t l = 0; l < c.num_layers; ++l) {
    const std::int64_t groups = c.layer_kv_heads(l);
    torch::Tensor energy = torch::zeros({groups}, torch::kDouble);
    const model::LayerHold held(model, static_cast<std::size_t>(l));
    LayerObserver observe;
    observe.attention_heads = [&](std::size_t, const torch::Tensor& heads) {
      energy += group_output_energy(heads, held.layer().o.weight, groups);
    };
    pass.advance(observe);
    progress.advance(1);
    // Pruned only once every layer is measured: the scores are the whole model's.
    kept_.push_back(highest_scoring(energy, keep[static_cast<std::size_t>(l)]));
    details_["group_energy"].push_back(model::to_vector<double>(energy));
    details_["kept_groups"].push_back(model::to_vector<std::int64_t>(kept_.back()));
  }
  progress.finish();
  after.kv_heads = keep;
  return after;
}

bool HeadPruning::rewrite_layer(model::Model& model, std::size_t layer) {
  torch::NoGradGuard no_grad;
  if (!kept_.empty()) keep_kv_groups(model, static_cast<std::int64_t>(layer), kept_.at(layer));
  return true;
}

MethodInfo heads_method() {
  return {
      .name = "heads",
      .family = MethodFamily::kCalibrationBased,
      .summary =
          "removes whole KV groups of attention heads, the same fraction of each layer's, "
          "those writing least into the residual stream on calibration text",
      .ratio_meaning = "the fraction of each layer's KV groups removed",
      .options = calibration_options(),
      .make = [](const Json& options, const CompressionContext& context,
                 const model::ModelConfig& config) -> std::unique_ptr<CompressionMethod> {
        return std::make_unique<HeadPruning>(draw_calibration("heads", options, context, config));
      },
      .removed_fraction =
          [](const model::ModelConfig& config, double ratio, const Json&) {
            model::ModelConfig after = config;
            for (std::int64_t l = 0; l < config.num_layers; ++l) {
              after.kv_heads[static_cast<std::size_t>(l)] =
                  kept_group_count(config.layer_kv_heads(l), ratio, l);
            }
            return removed_parameter_fraction(config, after);
          },
      .runs_in_llama_cpp = true};
}

}  // namespace claw::compress
