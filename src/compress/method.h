// The interface every compression method implements, and the structured-pruning family that
// removes FFN intermediate channels (random, magnitude, PruneNet).
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "core/json.h"
#include "model/layered_model.h"
#include "model/model.h"

namespace claw::compress {

class CompressionMethod {
 public:
  virtual ~CompressionMethod() = default;
  virtual std::string name() const = 0;
  // The settings that determine the result, recorded in compression.json.
  virtual Json settings() const = 0;
  // Decides what to remove at `ratio`, the method's native ratio (checked by the caller to lie
  // in [0, 1)), reading what it needs of `model` one layer at a time, and returns the config
  // the compressed model will have. Called once, before any rewrite.
  virtual model::ModelConfig plan(model::LayeredModel& model, double ratio) = 0;
  // The rewrites that carry the plan out, called in this order: the embeddings, each layer of
  // the input in turn (with that layer held in `model`), then the final norm and the head.
  // Each updates `model.config` to match what it changed.
  virtual void rewrite_embeddings(model::Model& /*model*/) {}
  // False when the layer is removed altogether.
  virtual bool rewrite_layer(model::Model& model, std::size_t layer) = 0;
  virtual void rewrite_head(model::Model& /*model*/) {}
  // What the method measured on the way (rewards, timings), for compression.json; once every
  // rewrite is done.
  virtual Json details() const = 0;
  // Whether the method can compress a model some of whose layers lack attention or an MLP
  // (what sublayer pruning leaves); compress_model() refuses such a model otherwise.
  virtual bool handles_removed_sublayers() const { return false; }
};

// The number of `unit`s ("FFN channel", "KV group") kept of `count` in `layer` at `ratio`:
// floor((1 − r)·count) as the user means it in decimal (the reference code's int((1 − r) * d_ff)
// keeps none of 10 at r = 0.9). An error when nothing would be kept.
std::int64_t kept_unit_count(std::int64_t count, double ratio, const char* unit,
                             std::int64_t layer);

// The FFN channels kept of `width`: kept_unit_count for channels.
std::int64_t kept_channel_count(std::int64_t width, double ratio, std::int64_t layer);

// The sorted indices of the `keep` highest `scores` [width]; ties keep the lower index, so the
// choice is the same on every machine.
torch::Tensor highest_scoring(const torch::Tensor& scores, std::int64_t keep);

// Keeps channels `kept` (sorted int64 indices) of one layer's FFN: rows of gate and up (and their
// biases), columns of down, so the layer computes exactly what the full layer computes with the
// other channels' activations forced to zero. Updates the config's width for that layer.
void keep_mlp_channels(model::Model& model, std::int64_t layer, const torch::Tensor& kept);

// What the ratio means to every ChannelPruning method.
extern const char* const kChannelRatioMeaning;

// The fraction of non-embedding parameters a ChannelPruning method removes at `ratio`.
double channel_pruned_fraction(const model::ModelConfig& config, double ratio, const Json& options);

// Removes decoder layers `indices` (in any order, each once) and their entries in the config.
void remove_layers(model::Model& model, std::vector<std::int64_t> indices);

// Methods that choose, per layer, which FFN channels to keep, the same number in every layer.
class ChannelPruning : public CompressionMethod {
 public:
  model::ModelConfig plan(model::LayeredModel& model, double ratio) final;
  bool rewrite_layer(model::Model& model, std::size_t layer) final;
  Json details() const final { return details_; }

 protected:
  // The sorted int64 indices of the channels to keep in each layer; `keep[l]` of them for layer
  // l. May add what it measured to `details`.
  virtual std::vector<torch::Tensor> select(model::LayeredModel& model,
                                            const std::vector<std::int64_t>& keep,
                                            Json& details) = 0;

 private:
  std::vector<torch::Tensor> kept_;
  Json details_ = Json::object();
};

}  // namespace claw::compress
