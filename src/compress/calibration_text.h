// The calibration text that calibration-based methods run through the model: the options they
// all take (declared once here), and the token sequences drawn from them.
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "compress/method_registry.h"
#include "core/option_binding.h"
#include "core/option_table.h"
#include "model/config.h"

namespace claw::compress {

// The calibration text a method asks for.
struct CalibrationOptions {
  std::string calib;  // a corpus name
  std::int64_t calib_samples = 128;
  std::int64_t calib_len = 0;  // 0: 2048, or the model's context if shorter
  std::int64_t calib_batch = 16;
};

// Declared with the corpus names' help, in calibration_text.cpp.
void check_calibration_corpus(const Json& name);
std::string calibration_corpus_help();

template <typename Visitor>
void visit_options(CalibrationOptions& o, Visitor&& row) {
  row(o.calib, {.name = "calib",
                .help = calibration_corpus_help(),
                .required = true,
                .check = check_calibration_corpus});
  row(o.calib_samples, {.name = "calib_samples", .help = "calibration sequences", .minimum = 1});
  row(o.calib_len,
      {.name = "calib_len",
       .help = "tokens per calibration sequence (0: 2048, or the model's context if shorter)",
       .minimum = 0});
  row(o.calib_batch,
      {.name = "calib_batch", .help = "calibration sequences per forward pass", .minimum = 1});
}

// The options of CalibrationOptions, which every calibration-based method takes.
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

// What a method records of its calibration text, under the options' names: the corpus drawn
// from, the samples, their length and batch as used, and the seed.
Json calibration_settings(const CalibrationSet& set);

// The sequences as batches of tokens [B, L] int64 on `device`.
std::vector<torch::Tensor> calibration_batches(const CalibrationSet& set, torch::Device device);

}  // namespace claw::compress
