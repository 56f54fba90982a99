// The model an evaluation scores: whole in memory, or held one layer at a time from its file
// (model::StreamedModel) when it does not fit. Every scorer (losses, zero-shot) is written once
// against this and gets the same numbers either way.
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "model/decoder.h"
#include "model/layered_model.h"
#include "model/load.h"
#include "model/model.h"
#include "model/stored_model.h"

namespace claw::eval {

class ScoredModel {
 public:
  // Implicit: a view, passed where a model is scored.
  ScoredModel(const model::Model& whole) : frame_(&whole) {}
  // `state_bytes` bounds the hidden states a pass over the layers carries (model::plan_passes);
  // 0: a quarter of the memory available when the run starts.
  ScoredModel(model::LayeredModel& layered, std::int64_t state_bytes = 0)
      : frame_(&layered.frame()), layered_(&layered), state_bytes_(state_bytes) {}

  // The config, embeddings, final norm and head; its layers only when whole.
  const model::Model& frame() const { return *frame_; }
  const model::ModelConfig& config() const { return frame_->config; }
  bool streamed() const { return layered_ != nullptr; }

  // Hands `consume` each batch's final-normalised hidden states, in batch order. A whole model
  // runs one batch at a time; a streamed one runs batches in passes over its layers. With a
  // `progress_label`, a progress bar counts batches, or the layers of every pass.
  void run(const std::vector<model::TokenBatch>& batches,
           const std::function<void(std::size_t, const torch::Tensor&)>& consume,
           const std::string& progress_label = {}) const;

 private:
  std::int64_t state_bytes() const;

  const model::Model* frame_;
  model::LayeredModel* layered_ = nullptr;
  std::int64_t state_bytes_ = 0;
};

// The model at a path, opened for scoring: loaded whole when its weights fit in the memory
// available in the compute dtype, else (or with `streamed`) read one layer at a time from its
// file, saying so.
class OpenedModel {
 public:
  OpenedModel(const std::filesystem::path& path, const model::LoadOptions& options,
              bool streamed = false);
  bool streamed() const { return streamed_ != nullptr; }
  ScoredModel scored() { return streamed_ ? ScoredModel(*streamed_) : ScoredModel(*whole_); }

 private:
  std::unique_ptr<model::StoredModel> stored_;
  std::unique_ptr<model::StreamedModel> streamed_;
  std::optional<model::Model> whole_;
};

}  // namespace claw::eval
