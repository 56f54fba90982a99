// SliceGPT (Ashkboos et al., ICLR 2024): fold the norms, rotate each block's residual stream
// into the principal directions of calibration activations, and delete the least important
// directions, shrinking the hidden dimension of every weight. docs/compression.md.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "compress/method.h"

namespace claw::compress {

enum class FinalOrientation { kPca, kRandom };

struct SliceGptOptions {
  // Token sequences of equal length, run through the model to find the principal directions.
  std::vector<std::vector<std::int32_t>> calibration;
  std::string calibration_source;  // what they were drawn from, for the record
  std::int64_t batch = 16;         // calibration sequences per forward pass
  std::int64_t round = 8;          // the kept width is rounded down to a multiple of this
  FinalOrientation orientation = FinalOrientation::kPca;
  std::uint64_t seed = 0;  // for the random orientation
};

// The residual width kept at `ratio`: floor((1 − r)·hidden) rounded down to a multiple of
// `round`; an error when that leaves nothing.
std::int64_t sliced_width(std::int64_t hidden, double ratio, std::int64_t round);

class SliceGpt final : public CompressionMethod {
 public:
  explicit SliceGpt(SliceGptOptions options);
  std::string name() const override { return "slicegpt"; }
  Json settings() const override;
  Json compress(model::Model& model, double ratio) override;

 private:
  SliceGptOptions options_;
};

}  // namespace claw::compress
