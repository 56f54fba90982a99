// SliceGPT (Ashkboos et al., ICLR 2024): fold the norms, rotate each block's residual stream
// into the principal directions of calibration activations, and delete the least important
// directions, shrinking the hidden dimension of every weight. docs/compression.md.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "compress/calibration_text.h"
#include "compress/method.h"
#include "core/option_binding.h"
#include "core/progress.h"

namespace claw::compress {

enum class FinalOrientation { kPca, kRandom };

struct SliceGptOptions {
  // Run through the model to find the principal directions.
  CalibrationSet calibration;
  std::int64_t round = 8;  // the kept width is rounded down to a multiple of this
  FinalOrientation orientation = FinalOrientation::kPca;
  std::uint64_t seed = 0;  // for the random orientation
};

// The options a user sets; the calibration text is drawn from calibration_options() and the seed
// is the run's.
template <typename Visitor>
void visit_options(SliceGptOptions& o, Visitor&& row) {
  row(o.round, {.name = "round",
                .help = "round the kept hidden width down to a multiple of this",
                .minimum = 1});
  row(o.orientation, {.name = "final_orientation",
                      .help = "pca, or random (a random rotation within the kept directions)"});
}

// The residual width kept at `ratio`: floor((1 − r)·hidden) rounded down to a multiple of
// `round`; an error when that leaves nothing.
std::int64_t sliced_width(std::int64_t hidden, double ratio, std::int64_t round);

// The residual widths SliceGPT gives a model of `config` at `ratio`: every point of the
// stream keeps sliced_width() dimensions but the last, which the head reads rotated, not sliced.
model::ResidualSlicing sliced_shape(const model::ModelConfig& config, double ratio,
                                    std::int64_t round);

class Slicer;

class SliceGpt final : public CompressionMethod {
 public:
  explicit SliceGpt(SliceGptOptions options);
  std::string name() const override { return "slicegpt"; }
  Json settings() const override;
  ~SliceGpt() override;
  model::ModelConfig plan(model::LayeredModel& model, double ratio) override;
  void rewrite_embeddings(model::Model& model) override;
  bool rewrite_layer(model::Model& model, std::size_t layer) override;
  void rewrite_head(model::Model& model) override;
  Json details() const override { return details_; }

 private:
  SliceGptOptions options_;
  std::vector<std::int64_t> widths_;  // the residual widths planned
  std::unique_ptr<Slicer> slicer_;    // from the embeddings' rewrite on
  std::optional<Progress> progress_;
  Json details_;
};

}  // namespace claw::compress

namespace claw {
template <>
struct OptionNames<compress::FinalOrientation> {
  static constexpr std::pair<compress::FinalOrientation, const char*> kValues[] = {
      {compress::FinalOrientation::kPca, "pca"}, {compress::FinalOrientation::kRandom, "random"}};
};
}  // namespace claw
