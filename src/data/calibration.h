// Calibration sequences for calibration-based compression (SliceGPT), drawn as SliceGPT's
// reference code draws them (data_utils.prepare_dataloader).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "data/corpus.h"

namespace claw::data {

struct CalibrationRequest {
  std::int64_t samples = 128;
  std::int64_t length = 2048;  // tokens per sequence
  std::uint64_t seed = 42;
};

using TextEncoder = std::function<std::vector<std::int32_t>(const std::string&)>;

// The rows sequences are built from: a running text's lines, or a corpus's documents; empty
// rows dropped.
std::vector<std::string> calibration_rows(const Corpus& corpus);

// `samples` sequences of exactly `length` tokens. Each starts at a random remaining row and
// joins the rows after it with "\n\n" until the encoded text reaches `length` tokens, which
// are kept; the rows used are removed. An error naming `source` when the rows run out first.
std::vector<std::vector<std::int32_t>> sample_calibration(const std::vector<std::string>& rows,
                                                          const TextEncoder& encode,
                                                          const CalibrationRequest& request,
                                                          const std::string& source);

}  // namespace claw::data
