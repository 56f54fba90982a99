#include "model/layered_model.h"

#include "core/error.h"
#include "model/stored_model.h"

namespace claw::model {

torch::Tensor ResidentModel::layer_tensor(std::size_t layer, TensorRole role) {
  // tensor_slot() reads only the role and the layer.
  const TensorSpec spec{.name = "layer tensor",
                        .shape = {},
                        .group = ParamGroup::kMlp,
                        .role = role,
                        .layer = static_cast<std::int64_t>(layer)};
  return tensor_slot(model_, spec);
}

StreamedModel::StreamedModel(const StoredModel& stored, const LoadOptions& options)
    : stored_(stored),
      frame_(empty_model(stored.config())),
      dtype_(options.dtype.value_or(stored.dtype())),
      device_(options.device),
      layer_specs_(static_cast<std::size_t>(stored.config().num_layers)) {
  for (const TensorSpec& spec : tensor_layout(frame_.config)) {
    if (spec.layer >= 0) {
      layer_specs_[static_cast<std::size_t>(spec.layer)].push_back(spec);
    } else {
      tensor_slot(frame_, spec) = stored_.tensor(spec, dtype_, device_);
    }
  }
  stored_.check_nothing_unexpected();
}

void StreamedModel::hold(std::size_t layer) {
  for (const TensorSpec& spec : layer_specs_.at(layer)) {
    tensor_slot(frame_, spec) = stored_.tensor(spec, dtype_, device_);
  }
}

void StreamedModel::release(std::size_t layer) {
  frame_.layers.at(layer) = DecoderLayer{};
}

torch::Tensor StreamedModel::layer_tensor(std::size_t layer, TensorRole role) {
  for (const TensorSpec& spec : layer_specs_.at(layer)) {
    if (spec.role == role) return stored_.tensor(spec, dtype_, device_);
  }
  CLAW_FAIL("layer ", layer, " of ", stored_.path().string(), " has no such tensor");
}

}  // namespace claw::model
