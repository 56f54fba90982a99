#include "compress/shortgpt.h"

#include <algorithm>
#include <cmath>
#include <deque>

#include "compress/calibration_pass.h"
#include "compress/method_registry.h"
#include "core/error.h"
#include "core/format.h"
#include "core/option_table.h"
#include "core/progress.h"

namespace claw::compress {
namespace {

// Σ cos(x_t, y_t) over the token rows of x and y [..., width], in float64, and their count.
struct CosineSum {
  double sum = 0;
  std::int64_t count = 0;

  void add(const torch::Tensor& x, const torch::Tensor& y, bool angular) {
    const torch::Tensor a = x.reshape({-1, x.size(-1)}).to(torch::kDouble);
    const torch::Tensor b = y.reshape({-1, y.size(-1)}).to(torch::kDouble);
    torch::Tensor cosine = (a * b).sum(1) / (a.norm(2, 1) * b.norm(2, 1));
    // Rounding may push a cosine of parallel vectors just past 1, where arccos is undefined.
    cosine = cosine.clamp(-1.0, 1.0);
    sum += (angular ? cosine.acos() / M_PI : cosine).sum().item<double>();
    count += cosine.size(0);
  }
  double mean() const { return sum / static_cast<double>(count); }
};

// Each unit's names: the `unit` option's value, what messages call it, and the key under which
// compression.json lists what was removed.
struct DepthUnitNames {
  DepthUnit unit;
  const char* option;
  const char* noun;
  const char* removed_key;
};
constexpr DepthUnitNames kDepthUnits[] = {
    {DepthUnit::kBlock, "block", "layers", "removed_layers"},
    {DepthUnit::kAttention, "attention", "attention sublayers", "removed_attention"},
    {DepthUnit::kMlp, "mlp", "MLP sublayers", "removed_mlp"},
};

const DepthUnitNames& names_of(DepthUnit unit) {
  for (const DepthUnitNames& names : kDepthUnits) {
    if (names.unit == unit) return names;
  }
  CLAW_FAIL("no ShortGPT unit ", static_cast<int>(unit));
}

const char* unit_noun(DepthUnit unit) {
  return names_of(unit).noun;
}

std::vector<std::string> unit_options() {
  std::vector<std::string> options;
  for (const DepthUnitNames& names : kDepthUnits) options.emplace_back(names.option);
  return options;
}

// Block Influence, 1 − mean cos between the stream before and after, of every layer and of
// each of its sublayers. A sublayer a layer lacks changes nothing and scores 0.
struct Influence {
  std::vector<double> block, attention, mlp;

  const std::vector<double>& of(DepthUnit unit) const {
    return unit == DepthUnit::kAttention ? attention : unit == DepthUnit::kMlp ? mlp : block;
  }
};

Influence block_influence(model::LayeredModel& model, CalibrationPass& pass, Progress& progress) {
  Influence influence;
  for (std::int64_t i = 0; i < model.config().num_layers; ++i) {
    std::vector<torch::Tensor> before, middle(pass.batch_count());
    for (std::size_t b = 0; b < pass.batch_count(); ++b) before.push_back(pass.stream(b));
    LayerObserver observe;
    observe.after_attention = [&](std::size_t b, const torch::Tensor& h) { middle[b] = h; };
    {
      const model::LayerHold held(model, static_cast<std::size_t>(i));
      pass.advance(observe);
    }
    CosineSum block, attention, mlp;
    for (std::size_t b = 0; b < pass.batch_count(); ++b) {
      block.add(before[b], pass.stream(b), /*angular=*/false);
      attention.add(before[b], middle[b], /*angular=*/false);
      mlp.add(middle[b], pass.stream(b), /*angular=*/false);
    }
    influence.block.push_back(1 - block.mean());
    influence.attention.push_back(1 - attention.mean());
    influence.mlp.push_back(1 - mlp.mean());
    progress.advance(1);
  }
  return influence;
}

// The part of the stream a score compares: every token, or each sequence's last.
torch::Tensor compared_tokens(const torch::Tensor& stream, bool last_token_only) {
  return last_token_only ? stream.select(1, stream.size(1) - 1).clone() : stream.clone();
}

}  // namespace

std::int64_t removed_layer_count(std::int64_t layers, double ratio, DepthUnit unit) {
  const auto removed =
      static_cast<std::int64_t>(std::floor(ratio * static_cast<double>(layers) + 1e-9));
  CLAW_CHECK(removed < layers || (removed == 0 && layers == 0), "ratio ", ratio,
             " removes every one of the ", layers, " ", unit_noun(unit),
             "; the largest usable ratio keeps one: ", 1.0 - 1.0 / static_cast<double>(layers));
  return removed;
}

std::vector<std::int64_t> layers_with(const model::ModelConfig& config, DepthUnit unit) {
  std::vector<std::int64_t> layers;
  for (std::int64_t l = 0; l < config.num_layers; ++l) {
    if (unit == DepthUnit::kBlock || (unit == DepthUnit::kAttention && config.has_attention(l)) ||
        (unit == DepthUnit::kMlp && config.has_mlp(l))) {
      layers.push_back(l);
    }
  }
  return layers;
}

model::ModelConfig without(const model::ModelConfig& config,
                           const std::vector<std::int64_t>& indices, DepthUnit unit) {
  model::ModelConfig after = config;
  CLAW_CHECK(!config.slicing, "layers cannot be removed from a sliced model");
  for (auto i = indices.rbegin(); i != indices.rend(); ++i) {
    CLAW_CHECK(*i >= 0 && *i < config.num_layers, "layer ", *i, " is not among the ",
               config.num_layers);
    const auto at = static_cast<std::size_t>(*i);
    if (unit == DepthUnit::kBlock) {
      after.intermediate_sizes.erase(after.intermediate_sizes.begin() + *i);
      after.kv_heads.erase(after.kv_heads.begin() + *i);
      --after.num_layers;
    } else {
      (unit == DepthUnit::kAttention ? after.kv_heads : after.intermediate_sizes)[at] = 0;
    }
  }
  return after;
}

void remove_sublayer(model::Model& model, std::int64_t index, DepthUnit unit) {
  CLAW_CHECK(unit != DepthUnit::kBlock, "remove_sublayer removes a layer's attention or MLP");
  model.config = without(model.config, {index}, unit);
  model::DecoderLayer& layer = model.layers.at(static_cast<std::size_t>(index));
  if (unit == DepthUnit::kAttention) {
    layer.attn_norm = torch::Tensor();
    layer.q = layer.k = layer.v = layer.o = model::Linear();
  } else {
    layer.mlp_norm = torch::Tensor();
    layer.gate = layer.up = layer.down = model::Linear();
  }
}

ShortGpt::ShortGpt(ShortGptOptions options) : options_(std::move(options)) {
  CLAW_CHECK(!options_.calibration.sequences.empty(), "ShortGPT needs calibration sequences");
  if (options_.unit != DepthUnit::kBlock && options_.score != DepthScore::kBlockInfluence) {
    throw OptionError("score", concat("angular scores contiguous blocks of whole layers; ",
                                      unit_noun(options_.unit), " are scored by bi"));
  }
}

Json ShortGpt::settings() const {
  Json settings = calibration_settings(options_.calibration);
  settings.update(
      {{"unit", unit_noun(options_.unit)},
       {"score", options_.score == DepthScore::kBlockInfluence
                     ? "block influence 1 - mean cos(x_i, x_i+1), every token"
                     : concat("angular distance arccos(cos)/pi of a contiguous block, ",
                              options_.last_token_only ? "last token" : "every token")}});
  return settings;
}

model::ModelConfig ShortGpt::plan(model::LayeredModel& model, double ratio) {
  const model::ModelConfig& c = model.config();
  CLAW_CHECK(!c.slicing, "ShortGPT removes layers of an unsliced model");
  const std::int64_t layers = c.num_layers;
  const std::vector<std::int64_t> candidates = layers_with(c, options_.unit);
  const std::int64_t n =
      removed_layer_count(static_cast<std::int64_t>(candidates.size()), ratio, options_.unit);
  if (n == 0) {
    details_ = {{names_of(options_.unit).removed_key, Json::array()}};
    return c;
  }
  CalibrationPass pass(model.frame(),
                       calibration_batches(options_.calibration, model.frame().device()));
  Progress progress("shortgpt", layers, "layers");
  std::vector<std::int64_t>& removed = removed_;
  Json& details = details_;
  if (options_.score == DepthScore::kBlockInfluence) {
    const Influence influence = block_influence(model, pass, progress);
    const std::vector<double>& score = influence.of(options_.unit);
    std::vector<std::int64_t> order = candidates;
    std::stable_sort(order.begin(), order.end(), [&](std::int64_t a, std::int64_t b) {
      return score[static_cast<std::size_t>(a)] < score[static_cast<std::size_t>(b)];
    });
    removed.assign(order.begin(), order.begin() + n);
    details["block_influence"] = influence.block;
    details["attention_influence"] = influence.attention;
    details["mlp_influence"] = influence.mlp;
  } else {
    // Keeps the stream at the last n + 1 layer boundaries: x_l and x_{l+n} are compared.
    const auto compared = [&] {
      std::vector<torch::Tensor> tokens;
      for (std::size_t b = 0; b < pass.batch_count(); ++b) {
        tokens.push_back(compared_tokens(pass.stream(b), options_.last_token_only));
      }
      return tokens;
    };
    std::deque<std::vector<torch::Tensor>> window = {compared()};
    std::vector<double> distance;
    for (std::int64_t i = 0; i < layers; ++i) {
      {
        const model::LayerHold held(model, static_cast<std::size_t>(i));
        pass.advance();
      }
      window.push_back(compared());
      if (static_cast<std::int64_t>(window.size()) > n + 1) window.pop_front();
      if (static_cast<std::int64_t>(window.size()) == n + 1) {
        CosineSum angle;
        for (std::size_t b = 0; b < pass.batch_count(); ++b) {
          angle.add(window.front()[b], window.back()[b], /*angular=*/true);
        }
        distance.push_back(angle.mean());
      }
      progress.advance(1);
    }
    const auto first = static_cast<std::int64_t>(
        std::min_element(distance.begin(), distance.end()) - distance.begin());
    for (std::int64_t l = first; l < first + n; ++l) removed.push_back(l);
    details["angular_distance"] = distance;  // entry l: the block of n layers starting at l
  }
  progress.finish();
  std::sort(removed.begin(), removed.end());
  details[names_of(options_.unit).removed_key] = removed;
  return without(c, removed, options_.unit);
}

bool ShortGpt::rewrite_layer(model::Model& model, std::size_t layer) {
  const auto l = static_cast<std::int64_t>(layer);
  if (!std::binary_search(removed_.begin(), removed_.end(), l)) return true;
  if (options_.unit == DepthUnit::kBlock) return false;
  remove_sublayer(model, l, options_.unit);
  return true;
}

DepthUnit parse_depth_unit(const std::string& name) {
  for (const DepthUnitNames& names : kDepthUnits) {
    if (name == names.option) return names.unit;
  }
  CLAW_FAIL("unknown ShortGPT unit '", name, "'");
}

MethodInfo shortgpt_method() {
  return {.name = "shortgpt",
          .family = MethodFamily::kCalibrationBased,
          .summary =
              "removes the decoder layers that change the residual stream least on "
              "calibration text (ShortGPT's Block Influence, or the angular block variant)",
          .ratio_meaning =
              "the fraction of decoder layers (or, by unit, of attention or MLP "
              "sublayers) removed",
          .options = calibration_options().with(OptionTable({
              {.name = "score",
               .kind = OptionKind::kText,
               .default_value = "bi",
               .help = "bi: the layers of lowest Block Influence; angular: the contiguous block "
                       "whose input and output are closest",
               .choices = {"bi", "angular"}},
              {.name = "angular_tokens",
               .kind = OptionKind::kText,
               .default_value = "last",
               .help = "angular: compare each sequence's last token, or all its tokens",
               .choices = {"last", "all"}},
              {.name = "unit",
               .kind = OptionKind::kText,
               .default_value = "block",
               .help = "what is removed: whole decoder layers (block), or the attention or the MLP "
                       "sublayers of least Block Influence",
               .choices = unit_options()},
          })),
          .make = [](const Json& options, const CompressionContext& context,
                     const model::ModelConfig& config) -> std::unique_ptr<CompressionMethod> {
            ShortGptOptions o;
            o.calibration = draw_calibration("shortgpt", options, context, config);
            o.score = option<std::string>(options, "score") == "bi" ? DepthScore::kBlockInfluence
                                                                    : DepthScore::kAngularBlock;
            o.last_token_only = option<std::string>(options, "angular_tokens") == "last";
            o.unit = parse_depth_unit(option<std::string>(options, "unit"));
            return std::make_unique<ShortGpt>(std::move(o));
          },
          .removed_fraction =
              [](const model::ModelConfig& config, double ratio, const Json& options) {
                // Exact when the layers are alike; otherwise off by at most one layer's
                // difference, since which layers go depends on the calibration text.
                const DepthUnit unit = parse_depth_unit(option<std::string>(options, "unit"));
                const std::vector<std::int64_t> layers = layers_with(config, unit);
                const std::int64_t n =
                    removed_layer_count(static_cast<std::int64_t>(layers.size()), ratio, unit);
                const model::ModelConfig after =
                    without(config, {layers.begin(), layers.begin() + n}, unit);
                return removed_parameter_fraction(config, after);
              },
          .runs_in_llama_cpp = true};
}

}  // namespace claw::compress
