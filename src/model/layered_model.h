// A model read one decoder layer at a time: its config, embeddings, final norm and head always
// in memory, its layers held one at a time. Either every layer is in memory already (a loaded
// model), or each is read from the checkpoint's mapped file when held and dropped when released,
// so that a model larger than the machine's memory still compresses (compress/) and scores
// (eval/). Code written against this computes the same numbers either way.
#pragma once

#include <torch/types.h>

#include <cstddef>
#include <filesystem>
#include <memory>
#include <vector>

#include "model/layout.h"
#include "model/load.h"
#include "model/model.h"

namespace claw::model {

class StoredModel;

class LayeredModel {
 public:
  virtual ~LayeredModel() = default;
  // The model with its held layers in place; a layer not held is empty.
  virtual Model& frame() = 0;
  const ModelConfig& config() { return frame().config; }
  // Puts layer `layer` of the input in frame().layers[layer]; until release(), a no-op when
  // every layer is in memory.
  virtual void hold(std::size_t layer) = 0;
  virtual void release(std::size_t layer) = 0;
  // One tensor of layer `layer` as the method would find it in its held layer: for a method
  // that needs one matrix of every layer in turn (PruneNet's gate), without the rest.
  virtual torch::Tensor layer_tensor(std::size_t layer, TensorRole role) = 0;
};

// A held layer, released when it goes out of scope.
class LayerHold {
 public:
  LayerHold(LayeredModel& model, std::size_t layer) : model_(model), layer_(layer) {
    model_.hold(layer_);
  }
  ~LayerHold() { model_.release(layer_); }
  LayerHold(const LayerHold&) = delete;
  LayerHold& operator=(const LayerHold&) = delete;
  const DecoderLayer& layer() const { return model_.frame().layers.at(layer_); }

 private:
  LayeredModel& model_;
  std::size_t layer_;
};

// Every layer in memory: `model` itself, compressed in place.
class ResidentModel final : public LayeredModel {
 public:
  explicit ResidentModel(Model& model) : model_(model) {}
  Model& frame() override { return model_; }
  void hold(std::size_t) override {}
  void release(std::size_t) override {}
  torch::Tensor layer_tensor(std::size_t layer, TensorRole role) override;

 private:
  Model& model_;
};

// Layers read one at a time from a checkpoint, in `options`' dtype and on its device.
class StreamedModel final : public LayeredModel {
 public:
  StreamedModel(const StoredModel& stored, const LoadOptions& options);
  Model& frame() override { return frame_; }
  void hold(std::size_t layer) override;
  void release(std::size_t layer) override;
  torch::Tensor layer_tensor(std::size_t layer, TensorRole role) override;

 private:
  const StoredModel& stored_;
  Model frame_;
  torch::ScalarType dtype_;
  torch::Device device_;
  std::vector<std::vector<TensorSpec>> layer_specs_;  // the input's, per layer
};

}  // namespace claw::model
