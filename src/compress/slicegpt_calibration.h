// SliceGPT's calibration sequences drawn from a named corpus with the model's tokenizer, as
// `claw compress` and studies prepare them.
#pragma once

#include <cstdint>
#include <string>

#include "compress/slicegpt.h"
#include "model/config.h"
#include "text/tokenizer.h"

namespace claw::compress {

struct CalibrationSettings {
  std::string corpus;          // a corpus name; plain "wikitext2" means its train split
  std::int64_t samples = 128;  // sequences
  std::int64_t length = 0;     // tokens per sequence; 0: 2048, or the model's context if shorter
  std::string orientation = "pca";  // of the kept directions: pca or random
};

// An error naming the flag for settings no model can use.
void check_calibration_settings(const CalibrationSettings& settings);

// Fills `options`' calibration sequences, their source and the final orientation.
void prepare_slicegpt_calibration(SliceGptOptions& options, const CalibrationSettings& settings,
                                  const text::Tokenizer& tokenizer,
                                  const model::ModelConfig& config, std::uint64_t seed);

}  // namespace claw::compress
