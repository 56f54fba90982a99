#include "compress/method.h"

#include <algorithm>
#include <cmath>

#include "compress/method_registry.h"
#include "core/error.h"

namespace claw::compress {

const char* const kChannelRatioMeaning = "the fraction of each layer's FFN channels removed";

double channel_pruned_fraction(const model::ModelConfig& config, double ratio,
                               const Json& /*options*/) {
  model::ModelConfig after = config;
  for (std::size_t l = 0; l < after.intermediate_sizes.size(); ++l) {
    after.intermediate_sizes[l] =
        kept_channel_count(config.intermediate_sizes[l], ratio, static_cast<std::int64_t>(l));
  }
  return removed_parameter_fraction(config, after);
}

std::int64_t kept_unit_count(std::int64_t count, double ratio, const char* unit,
                             std::int64_t layer) {
  // The tolerance keeps a product that is whole in decimal whole after binary rounding:
  // (1 − 0.9)·10 is 0.99999999999999978, where the user asked for one channel.
  const auto keep =
      static_cast<std::int64_t>(std::floor((1.0 - ratio) * static_cast<double>(count) + 1e-9));
  CLAW_CHECK(keep >= 1, "ratio ", ratio, " leaves no ", unit, " of the ", count, " in layer ",
             layer, "; the largest usable ratio keeps one ", unit, ": ",
             1.0 - 1.0 / static_cast<double>(count));
  return keep;
}

std::int64_t kept_channel_count(std::int64_t width, double ratio, std::int64_t layer) {
  return kept_unit_count(width, ratio, "FFN channel", layer);
}

torch::Tensor highest_scoring(const torch::Tensor& scores, std::int64_t keep) {
  const torch::Tensor order =
      std::get<1>(scores.detach().cpu().sort(/*stable=*/true, 0, /*descending=*/true));
  return std::get<0>(order.narrow(0, 0, keep).sort());
}

void keep_mlp_channels(model::Model& model, std::int64_t layer, const torch::Tensor& kept) {
  model::DecoderLayer& l = model.layers.at(static_cast<std::size_t>(layer));
  const torch::Tensor index = kept.to(model.device(), torch::kLong);
  const std::int64_t width = l.gate.weight.size(0);
  CLAW_CHECK(index.dim() == 1 && index.numel() >= 1, "layer ", layer,
             ": a channel selection must be a non-empty list");
  CLAW_CHECK(index.min().item<std::int64_t>() >= 0 && index.max().item<std::int64_t>() < width &&
                 (index.numel() == 1 || (index.diff() > 0).all().item<bool>()),
             "layer ", layer, ": a channel selection must be increasing indices below ", width);
  // Contiguous copies: the pruned model owns compact tensors rather than views of the old ones.
  for (model::Linear* in : {&l.gate, &l.up}) {
    in->weight = in->weight.index_select(0, index).contiguous();
    if (in->bias.defined()) in->bias = in->bias.index_select(0, index).contiguous();
  }
  l.down.weight = l.down.weight.index_select(1, index).contiguous();
  model.config.intermediate_sizes.at(static_cast<std::size_t>(layer)) = index.numel();
}

void remove_layers(model::Model& model, std::vector<std::int64_t> indices) {
  std::sort(indices.begin(), indices.end());
  CLAW_CHECK(std::adjacent_find(indices.begin(), indices.end()) == indices.end(),
             "a layer can be removed only once");
  model::ModelConfig& c = model.config;
  CLAW_CHECK(!c.slicing, "layers cannot be removed from a sliced model");
  for (auto i = indices.rbegin(); i != indices.rend(); ++i) {
    CLAW_CHECK(*i >= 0 && *i < c.num_layers, "layer ", *i, " is not among the ", c.num_layers);
    model.layers.erase(model.layers.begin() + *i);
    c.intermediate_sizes.erase(c.intermediate_sizes.begin() + *i);
    c.kv_heads.erase(c.kv_heads.begin() + *i);
    --c.num_layers;
  }
}

model::ModelConfig ChannelPruning::plan(model::LayeredModel& model, double ratio) {
  model::ModelConfig after = model.config();
  std::vector<std::int64_t> keep;
  for (std::size_t l = 0; l < after.intermediate_sizes.size(); ++l) {
    keep.push_back(
        kept_channel_count(after.intermediate_sizes[l], ratio, static_cast<std::int64_t>(l)));
  }
  kept_ = select(model, keep, details_);
  CLAW_CHECK(kept_.size() == keep.size(), name(), " selected channels for ", kept_.size(), " of ",
             keep.size(), " layers");
  for (std::size_t l = 0; l < kept_.size(); ++l) {
    CLAW_CHECK(kept_[l].numel() == keep[l], name(), " kept ", kept_[l].numel(),
               " channels in layer ", l, " instead of ", keep[l]);
  }
  after.intermediate_sizes = keep;
  return after;
}

bool ChannelPruning::rewrite_layer(model::Model& model, std::size_t layer) {
  torch::NoGradGuard no_grad;
  keep_mlp_channels(model, static_cast<std::int64_t>(layer), kept_.at(layer));
  return true;
}

}  // namespace claw::compress
