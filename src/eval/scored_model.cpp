#include "eval/scored_model.h"

#include <algorithm>
#include <optional>

#include "core/allocator.h"
#include "core/log.h"
#include "core/progress.h"
#include "core/system_memory.h"

namespace claw::eval {
namespace {

// Where the memory available is not known (a GPU, another kernel), what a pass may carry.
constexpr std::int64_t kUnknownStateBytes = std::int64_t{2} << 30;
// Fewer bytes than this per pass would read the model over and over for no memory worth saving.
constexpr std::int64_t kLeastStateBytes = std::int64_t{256} << 20;

}  // namespace

std::int64_t ScoredModel::state_bytes() const {
  if (state_bytes_ > 0) return state_bytes_;
  const std::optional<std::int64_t> available = available_memory_bytes();
  if (!available || !frame_->embed.device().is_cpu()) return kUnknownStateBytes;
  // The rest goes to the layer held, the one being read, and each batch's working set.
  return std::max(kLeastStateBytes, *available / 4);
}

void ScoredModel::run(const std::vector<model::TokenBatch>& batches,
                      const std::function<void(std::size_t, const torch::Tensor&)>& consume,
                      const std::string& progress_label) const {
  const torch::NoGradGuard no_grad;
  std::optional<Progress> progress;
  if (!layered_) {
    if (!progress_label.empty()) {
      progress.emplace(progress_label, static_cast<std::int64_t>(batches.size()), "batches");
    }
    for (std::size_t b = 0; b < batches.size(); ++b) {
      const model::TokenBatch& batch = batches[b];
      consume(b, model::final_hidden_states(*frame_, batch.tokens, batch.valid, nullptr,
                                            {.segments = batch.segments}));
      if (progress) progress->update(static_cast<std::int64_t>(b) + 1);
    }
  } else {
    const std::int64_t bytes = state_bytes();
    if (!progress_label.empty()) {
      const auto passes =
          static_cast<std::int64_t>(model::plan_passes(*frame_, batches, bytes).size());
      progress.emplace(progress_label, passes * frame_->config.num_layers, "layers");
    }
    model::final_hidden_states(*layered_, batches, bytes, consume, [&](std::int64_t done) {
      if (progress) progress->update(done);
    });
  }
  if (progress) progress->finish();
}

OpenedModel::OpenedModel(const std::filesystem::path& path, const model::LoadOptions& options,
                         bool streamed) {
  const model::ModelConfig config = model::read_model_config(path);
  const bool fits = model::weights_fit(config, model::loaded_dtype(path, options), options.device);
  if (fits && !streamed) {
    whole_ = model::load_model(path, options);
    return;
  }
  log::info(path.string(), ": ",
            fits ? "--streamed" : "its weights do not fit in the memory available",
            "; reading one layer at a time (slower, the same scores)");
  return_freed_memory();
  stored_ = std::make_unique<model::StoredModel>(path);
  streamed_ = std::make_unique<model::StreamedModel>(*stored_, options);
}

}  // namespace claw::eval
