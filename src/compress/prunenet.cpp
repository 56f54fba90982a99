#include "compress/prunenet.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/nn/utils/clip_grad.h>
#include <torch/optim/adamw.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "compress/method_registry.h"
#include "compress/prunenet_policy.h"
#include "compress/random_channels.h"
#include "compress/spectral_reward.h"
#include "compress/subset_sampling.h"
#include "core/error.h"
#include "core/log.h"
#include "core/option_table.h"
#include "core/progress.h"
#include "core/stopwatch.h"

namespace claw::compress {
namespace {

// Random selections per layer whose mean reward is reported beside the policy's.
constexpr int kRandomDraws = 2;
// Separates the sampling stream from the policy's initialisation under the same --seed.
constexpr std::uint64_t kSamplingStream = 0x9e3779b97f4a7c15ULL;

double mean(const std::vector<double>& values) {
  return std::accumulate(values.begin(), values.end(), 0.0) / static_cast<double>(values.size());
}

// Each layer's FFN1 (the gate projection, [d_ff, d]) in float32 on the CPU, read when needed
// rather than kept, so that a model read one layer at a time is never held whole, and each
// layer's spectrum, computed once.
struct LayerStates {
  model::LayeredModel& model;
  std::vector<std::vector<double>> spectra;

  std::size_t size() const { return spectra.size(); }
  torch::Tensor ffn1(std::size_t layer) const {
    return model.layer_tensor(layer, model::TensorRole::kGateWeight)
        .detach()
        .to(torch::kCPU, torch::kFloat)
        .contiguous();
  }
};

LayerStates layer_states(model::LayeredModel& model) {
  LayerStates states{model, {}};
  const auto layers = static_cast<std::size_t>(model.config().num_layers);
  Progress progress("spectra", static_cast<std::int64_t>(layers), "layers");
  for (std::size_t l = 0; l < layers; ++l) {
    states.spectra.push_back(singular_values(states.ffn1(l)));
    progress.advance(1);
  }
  return states;
}

// The keep probabilities p_i = sigmoid(logit α_i + log ε_i − log(1 − ε_i)), ε ~ U(0, 1): the
// importance perturbed by logistic noise. Returns log p, differentiable in the policy.
torch::Tensor log_keep_probabilities(const torch::Tensor& logits, const torch::Tensor& noise) {
  return torch::log_sigmoid(logits + noise);
}

torch::Tensor logistic_noise(std::int64_t n, at::Generator& generator) {
  const torch::Tensor u = at::empty({n}, torch::TensorOptions().dtype(torch::kFloat))
                              .uniform_(std::numeric_limits<float>::min(), 1.0, generator);
  return u.log() - (-u).log1p();
}

struct Training {
  std::vector<double> reward_curve;  // per episode, the mean over layers of 1/KS
  std::int64_t best_episode = 0;     // 1-based; 0 when no episode ran
};

// REINFORCE over episodes; leaves `policy` at the parameters that sampled the best episode.
Training train(PruneNetPolicy& policy, const LayerStates& layers, std::int64_t keep,
               const PruneNetOptions& options) {
  const std::size_t num_layers = layers.size();
  at::Generator generator = at::detail::createCPUGenerator(options.seed ^ kSamplingStream);
  torch::optim::AdamW optimizer(
      policy.parameters(),
      torch::optim::AdamWOptions(options.learning_rate).weight_decay(options.weight_decay));
  // Each layer's baseline is the mean of its rewards in the episodes before: subtracting it
  // leaves the gradient's expectation unchanged and removes most of its variance, since every
  // reward 1/KS is positive and would otherwise reinforce whatever was drawn.
  std::vector<double> baseline(num_layers, 0.0);
  Training training;
  double best = -std::numeric_limits<double>::infinity();
  std::vector<torch::Tensor> best_parameters = policy.snapshot();
  Progress progress("prunenet", options.episodes * static_cast<std::int64_t>(num_layers), "layers");
  for (std::int64_t episode = 1; episode <= options.episodes; ++episode) {
    std::vector<torch::Tensor> noise(num_layers), order(num_layers);
    std::vector<double> reward(num_layers);
    {
      torch::NoGradGuard no_grad;
      for (std::size_t l = 0; l < num_layers; ++l) {
        const torch::Tensor ffn1 = layers.ffn1(l);
        noise[l] = logistic_noise(ffn1.size(0), generator);
        const torch::Tensor log_p =
            log_keep_probabilities(policy.importance_logits(ffn1), noise[l]);
        order[l] = draw_without_replacement(log_p, keep, generator);
        reward[l] = spectral_reward(layers.spectra[l], ffn1, std::get<0>(order[l].sort()));
        progress.advance(1);
      }
    }
    const double episode_reward = mean(reward);
    training.reward_curve.push_back(episode_reward);
    if (episode_reward > best) {
      best = episode_reward;
      best_parameters = policy.snapshot();
      training.best_episode = episode;
    }
    if (episode > 1) {
      for (std::size_t l = 0; l < num_layers; ++l) {
        // The same noise that drew the action: the draw's probability given that noise is
        // what the policy controls.
        const double advantage =
            std::pow(options.discount, static_cast<double>(l)) * (reward[l] - baseline[l]);
        const torch::Tensor log_p =
            log_keep_probabilities(policy.importance_logits(layers.ffn1(l)), noise[l]);
        const torch::Tensor loss = -advantage * draw_log_probability(log_p, order[l]);
        optimizer.zero_grad();
        loss.backward();
        torch::nn::utils::clip_grad_norm_(policy.parameters(), options.max_grad_norm);
        optimizer.step();
      }
    }
    for (std::size_t l = 0; l < num_layers; ++l) {
      baseline[l] += (reward[l] - baseline[l]) / static_cast<double>(episode);
    }
    log::info("episode ", episode, "/", options.episodes, ": mean reward ", episode_reward,
              " (best ", best, ")");
  }
  policy.restore(best_parameters);
  return training;
}

// The policy's most likely choice: the `keep` channels of highest importance, without noise.
// Deterministic, and nested across ratios: a channel kept at r is kept at every r' < r.
torch::Tensor greedy_selection(const PruneNetPolicy& policy, const torch::Tensor& ffn1,
                               std::int64_t keep) {
  torch::NoGradGuard no_grad;
  return highest_scoring(policy.importance_logits(ffn1), keep);
}

}  // namespace

PruneNet::PruneNet(PruneNetOptions options) : options_(std::move(options)) {}

Json PruneNet::settings() const {
  Json settings = {{"seed", options_.seed}};
  if (!options_.policy_in.empty()) {
    settings["policy_in"] = options_.policy_in;
    return settings;
  }
  settings.update({{"episodes", options_.episodes},
                   {"lr", options_.learning_rate},
                   {"weight_decay", options_.weight_decay},
                   {"discount", options_.discount},
                   {"max_grad_norm", options_.max_grad_norm},
                   {"optimizer", "AdamW"},
                   {"baseline", "per-layer mean of earlier episodes"},
                   {"selection", "greedy"}});
  return settings;
}

std::vector<torch::Tensor> PruneNet::select(model::LayeredModel& model,
                                            const std::vector<std::int64_t>& keep, Json& details) {
  // The FFN1 input width is the hidden size, or the sliced width after SliceGPT.
  const model::ModelConfig& c = model.config();
  const std::int64_t hidden = c.residual_width(1);
  bool same_shapes = c.uniform_mlp();
  for (std::int64_t l = 0; l < c.num_layers; ++l) {
    same_shapes = same_shapes && c.residual_width(2 * l + 1) == hidden;
  }
  CLAW_CHECK(same_shapes,
             "PruneNet shares one policy across layers, so every layer's FFN needs the same shape; "
             "this model's differ");
  const std::int64_t width = c.intermediate_sizes.front();
  std::optional<PruneNetPolicy> policy;
  if (!options_.policy_in.empty()) {
    policy = PruneNetPolicy::load(options_.policy_in);
    policy->check_shape(hidden, width, options_.policy_in);
  }

  Stopwatch spectra_time;
  const LayerStates layers = layer_states(model);
  details["timings"]["spectra_s"] = spectra_time.seconds();

  if (!policy) {
    policy.emplace(hidden, width, options_.seed);
    Stopwatch training_time;
    const Training training = train(*policy, layers, keep.front(), options_);
    details["timings"]["training_s"] = training_time.seconds();
    details["reward_curve"] = training.reward_curve;
    details["best_episode"] = training.best_episode;
  }

  Stopwatch selection_time;
  std::vector<torch::Tensor> kept;
  std::vector<double> selected_reward, random_reward;
  at::Generator generator = at::detail::createCPUGenerator(options_.seed);
  for (std::size_t l = 0; l < layers.size(); ++l) {
    const torch::Tensor ffn1 = layers.ffn1(l);
    kept.push_back(greedy_selection(*policy, ffn1, keep[l]));
    selected_reward.push_back(spectral_reward(layers.spectra[l], ffn1, kept.back()));
    for (int draw = 0; draw < kRandomDraws; ++draw) {
      random_reward.push_back(
          spectral_reward(layers.spectra[l], ffn1, random_subset(width, keep[l], generator)));
    }
  }
  details["timings"]["selection_s"] = selection_time.seconds();
  details["reward"] = {{"selected_per_layer", selected_reward},
                       {"selected_mean", mean(selected_reward)},
                       {"random_mean", mean(random_reward)},
                       {"random_draws_per_layer", kRandomDraws}};
  log::info("prunenet: mean reward ", mean(selected_reward), " for the selection, ",
            mean(random_reward), " for random selections");

  if (!options_.policy_out.empty()) {
    policy->save(options_.policy_out, {{"source_model_hash", options_.source_hash},
                                       {"trained_at_ratio_keep", std::to_string(keep.front())}});
    log::info("wrote the policy to ", options_.policy_out);
  }
  return kept;
}

MethodInfo prunenet_method() {
  return {.name = "prunenet",
          .family = MethodFamily::kCalibrationFree,
          .summary = "FFN channels chosen by a policy learned from the weights alone (PruneNet)",
          .ratio_meaning = kChannelRatioMeaning,
          .options = bound_option_table<PruneNetOptions>(),
          .make = [](const Json& options, const CompressionContext& context,
                     const model::ModelConfig&) -> std::unique_ptr<CompressionMethod> {
            PruneNetOptions o = bound_options_from<PruneNetOptions>(options);
            o.seed = context.seed;
            o.source_hash = context.source_hash;
            return std::make_unique<PruneNet>(std::move(o));
          },
          .removed_fraction = channel_pruned_fraction,
          .runs_in_llama_cpp = true};
}

}  // namespace claw::compress
