#include "compress/flap.h"

#include <algorithm>
#include <numeric>

#include "compress/calibration_pass.h"
#include "compress/kv_groups.h"
#include "compress/method_registry.h"
#include "core/error.h"
#include "core/progress.h"
#include "model/layout.h"
#include "model/torch_tensors.h"

namespace claw::compress {
namespace {

// A unit FLAP may remove: one FFN channel or one KV group of one layer.
struct Unit {
  double score;  // standardised within its layer and module
  std::size_t layer;
  bool group;
  std::int64_t index;
};

// Per-channel scores of o_proj's input summed over each KV group's channels: the input is the
// query heads side by side, and group g owns a contiguous run of them.
torch::Tensor group_sums(const torch::Tensor& channel_scores, std::int64_t groups) {
  return channel_scores.view({groups, -1}).sum(1);
}

// (s − mean) / std, or zeros where the units cannot be told apart.
torch::Tensor standardised(const torch::Tensor& scores) {
  if (scores.numel() < 2) return torch::zeros_like(scores);
  const double spread = scores.std().item<double>();
  if (!(spread > 0)) return torch::zeros_like(scores);
  return (scores - scores.mean()) / spread;
}

// Indices 0..n-1 not in `removed`, as a sorted int64 tensor.
torch::Tensor complement(std::int64_t n, const std::vector<std::int64_t>& removed) {
  std::vector<bool> gone(static_cast<std::size_t>(n), false);
  for (const std::int64_t i : removed) gone[static_cast<std::size_t>(i)] = true;
  std::vector<std::int64_t> kept;
  for (std::int64_t i = 0; i < n; ++i) {
    if (!gone[static_cast<std::size_t>(i)]) kept.push_back(i);
  }
  return torch::tensor(kept, torch::kLong);
}

// Adds `weight`[:, removed] · mean[removed] to `linear`'s bias (created at zero if absent): the
// removed inputs' average contribution, so the output at the calibration mean is unchanged.
void compensate(model::Linear& linear, const torch::Tensor& mean, const torch::Tensor& kept) {
  const std::int64_t inputs = linear.weight.size(1);
  torch::Tensor removed_mean = mean.clone();
  removed_mean.index_fill_(0, kept, 0.0);
  const torch::Tensor shift =
      linear.weight.to(torch::kDouble).mv(removed_mean.to(linear.weight.device()));
  CLAW_CHECK(removed_mean.numel() == inputs, "compensation: ", removed_mean.numel(), " means for ",
             inputs, " inputs");
  if (!linear.bias.defined())
    linear.bias = torch::zeros({linear.weight.size(0)}, linear.weight.options());
  linear.bias = (linear.bias.to(torch::kDouble) + shift).to(linear.weight.scalar_type());
}

}  // namespace

void ChannelStatistics::add(const torch::Tensor& inputs) {
  const torch::Tensor x = inputs.reshape({-1, inputs.size(-1)}).to(torch::kDouble).cpu();
  if (!sum.defined()) {
    sum = torch::zeros({x.size(1)}, torch::kDouble);
    sum_of_squares = torch::zeros({x.size(1)}, torch::kDouble);
  }
  sum += x.sum(0);
  sum_of_squares += x.square().sum(0);
  count += x.size(0);
}

torch::Tensor ChannelStatistics::mean() const {
  return sum / static_cast<double>(count);
}

torch::Tensor ChannelStatistics::sample_variance() const {
  CLAW_CHECK(count >= 2, "a sample variance needs two tokens or more");
  const auto n = static_cast<double>(count);
  return ((sum_of_squares - sum.square() / n) / (n - 1)).clamp_min(0);
}

torch::Tensor ChannelStatistics::norm() const {
  return sum_of_squares.sqrt();
}

torch::Tensor fluctuation_scores(const ChannelStatistics& inputs, const torch::Tensor& weight) {
  return inputs.sample_variance() * weight.to(torch::kDouble).square().sum(0).cpu();
}

torch::Tensor wanda_scores(const ChannelStatistics& inputs, const torch::Tensor& weight) {
  return inputs.norm() * weight.to(torch::kDouble).abs().sum(0).cpu();
}

Flap::Flap(FlapOptions options) : options_(std::move(options)) {
  CLAW_CHECK(!options_.calibration.sequences.empty(), "FLAP needs calibration sequences");
}

Json Flap::settings() const {
  const bool flap = options_.variant == FlapVariant::kFlap;
  Json settings = calibration_settings(options_.calibration);
  settings.update(
      {{"variant", flap ? "flap" : "wanda-sp"},
       {"score", flap ? "sample variance of the input channel x squared norm of its column"
                      : "l2 norm of the input channel x l1 norm of its column"},
       {"structure", flap ? "standardised per layer and module, one global ranking"
                          : "the same fraction of every layer and module"},
       {"bias_compensation", flap}});
  return settings;
}

model::ModelConfig Flap::plan(model::LayeredModel& model, double ratio) {
  const model::ModelConfig& c = model.config();
  CLAW_CHECK(!c.slicing, "FLAP prunes the widths of an unsliced model");
  const bool flap = options_.variant == FlapVariant::kFlap;
  model::ModelConfig after = c;
  // Nothing to remove, and no bias to add: r = 0 is the model as it is.
  if (ratio == 0) {
    details_ = {{"kv_heads_kept", c.kv_heads}, {"channels_kept", c.intermediate_sizes}};
    return after;
  }
  const auto layers = static_cast<std::size_t>(c.num_layers);
  heads_.resize(layers);
  hidden_.resize(layers);
  // Each layer is scored while it is held: its statistics need the layers before it, its
  // scores its own o_proj and down_proj.
  std::vector<torch::Tensor> channel_scores, group_scores;
  const auto score = flap ? fluctuation_scores : wanda_scores;
  {
    CalibrationPass pass(model.frame(),
                         calibration_batches(options_.calibration, model.frame().device()));
    Progress progress("flap", c.num_layers, "layers");
    for (std::size_t l = 0; l < layers; ++l) {
      const model::LayerHold held(model, l);
      LayerObserver observe;
      observe.attention_heads = [&](std::size_t, const torch::Tensor& x) { heads_[l].add(x); };
      observe.mlp_hidden = [&](std::size_t, const torch::Tensor& x) { hidden_[l].add(x); };
      pass.advance(observe);
      channel_scores.push_back(score(hidden_[l], held.layer().down.weight));
      group_scores.push_back(group_sums(score(heads_[l], held.layer().o.weight),
                                        c.layer_kv_heads(static_cast<std::int64_t>(l))));
      progress.advance(1);
    }
  }

  kept_channels_.resize(layers);
  kept_groups_.resize(layers);
  if (!flap) {
    for (std::size_t l = 0; l < layers; ++l) {
      const auto layer = static_cast<std::int64_t>(l);
      kept_channels_[l] = highest_scoring(
          channel_scores[l], kept_channel_count(c.intermediate_sizes[l], ratio, layer));
      kept_groups_[l] =
          highest_scoring(group_scores[l], kept_group_count(c.layer_kv_heads(layer), ratio, layer));
    }
  } else {
    // One ranking of every unit by its standardised score; the lowest go until the removed
    // parameters reach r of the layers' attention and MLP parameters. Each layer keeps a
    // channel and a KV group.
    std::vector<Unit> units;
    for (std::size_t l = 0; l < layers; ++l) {
      for (const bool group : {false, true}) {
        const std::vector<double> z =
            model::to_vector<double>(standardised(group ? group_scores[l] : channel_scores[l]));
        for (std::size_t i = 0; i < z.size(); ++i) {
          units.push_back({z[i], l, group, static_cast<std::int64_t>(i)});
        }
      }
    }
    std::stable_sort(units.begin(), units.end(),
                     [](const Unit& a, const Unit& b) { return a.score < b.score; });
    const model::ParameterCounts counts = model::count_parameters(c);
    const double budget = ratio * static_cast<double>(counts.attention + counts.mlp);
    std::vector<std::vector<std::int64_t>> removed_channels(layers), removed_groups(layers);
    // Each layer's MLP reads the stream at width `in` and writes it at `out`.
    const auto in = [&](std::size_t l) {
      return c.residual_width(2 * static_cast<std::int64_t>(l) + 1);
    };
    const auto out = [&](std::size_t l) {
      return c.residual_width(2 * static_cast<std::int64_t>(l) + 2);
    };
    // Net of the biases compensation adds: o_proj's and the MLP's where the model had none
    // (the MLP's gate and up biases then shrink with each channel removed).
    double removed = 0;
    for (std::size_t l = 0; l < layers; ++l) {
      if (!c.o_bias) removed -= static_cast<double>(out(l));
      if (!c.mlp_bias) removed -= static_cast<double>(out(l) + 2 * c.intermediate_sizes[l]);
    }
    for (const Unit& u : units) {
      if (removed >= budget) break;
      const auto l = static_cast<std::int64_t>(u.layer);
      std::vector<std::int64_t>& list =
          u.group ? removed_groups[u.layer] : removed_channels[u.layer];
      const std::int64_t available = u.group ? c.layer_kv_heads(l) : c.intermediate_sizes[u.layer];
      if (static_cast<std::int64_t>(list.size()) + 1 >= available) continue;
      list.push_back(u.index);
      // What the unit owns: a channel's gate and up rows (with their biases) and its down
      // column; a group's q, k and v rows (with biases) and its query heads' o columns.
      const std::int64_t group_rows = (c.group_size() + 2) * c.head_dim;
      removed += u.group ? static_cast<double>(group_rows * (in(u.layer) + (c.qkv_bias ? 1 : 0)) +
                                               c.group_size() * c.head_dim * out(u.layer))
                         : static_cast<double>(2 * (in(u.layer) + 1) + out(u.layer));
    }
    for (std::size_t l = 0; l < layers; ++l) {
      kept_channels_[l] = complement(c.intermediate_sizes[l], removed_channels[l]);
      kept_groups_[l] =
          complement(c.layer_kv_heads(static_cast<std::int64_t>(l)), removed_groups[l]);
    }
  }
  details_ = {{"kv_heads_kept", Json::array()}, {"channels_kept", Json::array()}};
  for (std::size_t l = 0; l < layers; ++l) {
    after.kv_heads[l] = kept_groups_[l].numel();
    after.intermediate_sizes[l] = kept_channels_[l].numel();
    details_["kv_heads_kept"].push_back(after.kv_heads[l]);
    details_["channels_kept"].push_back(after.intermediate_sizes[l]);
  }
  if (flap) after.o_bias = after.mlp_bias = true;
  return after;
}

bool Flap::rewrite_layer(model::Model& model, std::size_t l) {
  if (kept_channels_.empty()) return true;  // r = 0
  torch::NoGradGuard no_grad;
  const model::ModelConfig& c = model.config;
  model::DecoderLayer& layer = model.layers[l];
  if (options_.variant == FlapVariant::kFlap) {
    // o_proj reads each kept group's query heads: expand group indices to its columns.
    const std::int64_t width = c.group_size() * c.head_dim;
    const torch::Tensor o_columns =
        (kept_groups_[l].unsqueeze(1) * width + torch::arange(width, torch::kLong).unsqueeze(0))
            .reshape({-1});
    compensate(layer.o, heads_[l].mean(), o_columns);
    compensate(layer.down, hidden_[l].mean(), kept_channels_[l]);
    // The config's MLP bias covers gate and up too: theirs are zero.
    for (model::Linear* in : {&layer.gate, &layer.up}) {
      if (!in->bias.defined()) in->bias = torch::zeros({in->weight.size(0)}, in->weight.options());
    }
  }
  keep_mlp_channels(model, static_cast<std::int64_t>(l), kept_channels_[l]);
  keep_kv_groups(model, static_cast<std::int64_t>(l), kept_groups_[l]);
  return true;
}

void Flap::rewrite_head(model::Model& model) {
  if (options_.variant == FlapVariant::kFlap && !kept_channels_.empty()) {
    model.config.o_bias = model.config.mlp_bias = true;
  }
}

MethodInfo flap_method() {
  return {.name = "flap",
          .family = MethodFamily::kCalibrationBased,
          .summary =
              "removes FFN channels and KV groups whose inputs fluctuate least on "
              "calibration text, with adaptive widths and bias compensation (FLAP), or "
              "Wanda-sp's uniform widths",
          .ratio_meaning =
              "the fraction of the layers' attention and MLP parameters removed (flap); "
              "of each layer's FFN channels and KV groups (wanda-sp)",
          .options = calibration_options().with(OptionTable({
              {.name = "variant",
               .kind = OptionKind::kText,
               .default_value = "flap",
               .help = "flap: fluctuation scores, adaptive widths, bias compensation; wanda-sp: "
                       "|W|·‖x‖ scores, the same fraction of every layer, no compensation",
               .choices = {"flap", "wanda-sp"}},
          })),
          .make = [](const Json& options, const CompressionContext& context,
                     const model::ModelConfig& config) -> std::unique_ptr<CompressionMethod> {
            FlapOptions o;
            o.calibration = draw_calibration("flap", options, context, config);
            o.variant = option<std::string>(options, "variant") == "flap" ? FlapVariant::kFlap
                                                                          : FlapVariant::kWandaSp;
            return std::make_unique<Flap>(std::move(o));
          },
          .removed_fraction =
              [](const model::ModelConfig& config, double ratio, const Json& options) {
                if (option<std::string>(options, "variant") == "flap") {
                  // Removed until r of the attention and MLP parameters: exact to within one unit.
                  const model::ParameterCounts n = model::count_parameters(config);
                  return ratio * static_cast<double>(n.attention + n.mlp) /
                         static_cast<double>(n.without_embeddings());
                }
                model::ModelConfig after = config;
                for (std::int64_t l = 0; l < config.num_layers; ++l) {
                  const auto i = static_cast<std::size_t>(l);
                  after.intermediate_sizes[i] =
                      kept_channel_count(config.intermediate_sizes[i], ratio, l);
                  after.kv_heads[i] = kept_group_count(config.layer_kv_heads(l), ratio, l);
                }
                return removed_parameter_fraction(config, after);
              },
          .runs_in_llama_cpp = true};
}

}  // namespace claw::compress
