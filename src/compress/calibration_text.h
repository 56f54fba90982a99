// The calibration text that calibration-based methods run through the model: the options they
// all take (declared once here), and the token sequences drawn from them.
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "compress/method_registry.h"
#include "core/option_table.h"
#include "model/config.h"

namespace claw::compress {

// calib (a corpus name), calib_samples, calib_len and calib_batch.
const OptionTable& calibration_options();

struct CalibrationSet {
  std::vector<std::vector<std::int32_t>> sequences;  // all of one length
  std::string source;                                // the corpus they were drawn from
  std::int64_t batch = 16;                           // sequences per forward pass
  std::uint64_t seed = 0;                            // that chose the sequences
};

// The sequences `options` ask for, tokenized with the context's tokenizer and seeded by its
// seed; `method` names who asks, for the error when no tokenizer was given.
CalibrationSet draw_calibration(const std::string& method, const Json& options,
                                const CompressionContext& context,
                                const model::ModelConfig& config);

// What a method records of its calibration text: source, samples, length, batch and seed.
Json calibration_settings(const CalibrationSet& set);

// The sequences as batches of tokens [B, L] int64 on `device`.
std::vector<torch::Tensor> calibration_batches(const CalibrationSet& set, torch::Device device);

}  // namespace claw::compress
